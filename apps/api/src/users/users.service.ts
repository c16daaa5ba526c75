import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user';
import { hashPassword } from '../auth/password-hasher';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { ConflictError, ForbiddenError, NotFoundError, RequestValidationError } from '../errors/app-errors';
import type { CreateRoleDto, CreateUserDto, UpdateUserDto } from './dto/user.dto';
import { RolesRepository, UsersRepository, type RoleRecord, type UserRecord } from './users.repository';

/** A user as the API shows it (never the hash). */
export interface UserView {
  id: string;
  username: string;
  enabled: boolean;
  must_change_password: boolean;
  roles: string[];
  permissions: string[];
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

export function presentUser(u: UserRecord): UserView {
  return {
    id: u.id, username: u.username, enabled: u.enabled, must_change_password: u.must_change_password, roles: u.roles, permissions: u.permissions,
    last_login_at: u.last_login_at?.toISOString() ?? null, created_at: u.created_at.toISOString(), updated_at: u.updated_at.toISOString(),
  };
}

export function presentRole(r: RoleRecord) {
  return { id: r.id, name: r.name, permissions: r.permissions, built_in: r.built_in, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() };
}

/** Users API (database mode): create, enable/disable, reset password, delete, assign roles. */
@Injectable()
export class UsersService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiEnv,
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
  ) {}

  private databaseMode(): void {
    if (this.config.AUTH_MODE !== 'database') throw new ConflictError('users are managed in Keycloak (AUTH_MODE=keycloak)');
  }

  async list(page: number, pageSize: number) {
    const { items, total } = await this.users.list(page, pageSize);
    return { items: items.map(presentUser), total, page, page_size: pageSize };
  }

  async get(id: string): Promise<UserView> {
    return presentUser(await this.require(id));
  }

  /** Creating a user with roles is itself a role assignment: it needs `role:assign` too unless the roles are empty. */
  async create(dto: CreateUserDto, caller: AuthUser): Promise<UserView> {
    this.databaseMode();
    if (dto.roles.length && !caller.permissions.includes('role:assign')) throw new ForbiddenError('missing permission role:assign');
    const roleIds = await this.roleIds(dto.roles);
    const passwordHash = await hashPassword(dto.password);
    const id = await this.users.transaction(async (tx) => {
      const newId = await this.users.insert({ username: dto.username, passwordHash, mustChangePassword: dto.must_change_password ?? true }, tx);
      if (!newId) throw new ConflictError(`username "${dto.username}" is taken`);
      await this.users.setRoles(newId, roleIds, tx);
      return newId;
    });
    return this.get(id);
  }

  async update(id: string, dto: UpdateUserDto, caller: AuthUser): Promise<UserView> {
    this.databaseMode();
    if (id === caller.id && dto.enabled === false) throw new ConflictError('you cannot disable yourself');
    const ok = await this.users.update(id, {
      enabled: dto.enabled,
      passwordHash: dto.password === undefined ? undefined : await hashPassword(dto.password),
      mustChangePassword: dto.must_change_password,
    });
    if (!ok) throw new NotFoundError(`user ${id} not found`);
    return this.get(id);
  }

  async setRoles(id: string, roles: string[], caller: AuthUser): Promise<UserView> {
    this.databaseMode();
    if (id === caller.id) throw new ForbiddenError('you cannot change your own roles');
    await this.require(id);
    const roleIds = await this.roleIds(roles);
    await this.users.transaction((tx) => this.users.setRoles(id, roleIds, tx));
    return this.get(id);
  }

  async remove(id: string, caller: AuthUser): Promise<void> {
    this.databaseMode();
    if (id === caller.id) throw new ConflictError('you cannot delete yourself');
    if (!(await this.users.remove(id))) throw new NotFoundError(`user ${id} not found`);
  }

  async listRoles() {
    return (await this.roles.list()).map(presentRole);
  }

  async createRole(dto: CreateRoleDto) {
    const id = await this.roles.insert(dto.name, [...new Set(dto.permissions)]);
    if (!id) throw new ConflictError(`role "${dto.name}" exists`);
    return presentRole((await this.roles.findById(id))!);
  }

  /** Changes a custom role's permissions (revokes its holders' tokens); built-in roles are fixed. */
  async updateRole(id: string, permissions: string[]) {
    const role = await this.roles.findById(id);
    if (!role) throw new NotFoundError(`role ${id} not found`);
    if (role.built_in) throw new ConflictError(`role "${role.name}" is built in`);
    await this.roles.setPermissions(id, [...new Set(permissions)]);
    return presentRole((await this.roles.findById(id))!);
  }

  async removeRole(id: string): Promise<void> {
    const role = await this.roles.findById(id);
    if (!role) throw new NotFoundError(`role ${id} not found`);
    if (role.built_in) throw new ConflictError(`role "${role.name}" is built in`);
    await this.roles.remove(id);
  }

  private async require(id: string): Promise<UserRecord> {
    const u = await this.users.findById(id);
    if (!u) throw new NotFoundError(`user ${id} not found`);
    return u;
  }

  private async roleIds(names: string[]): Promise<string[]> {
    const unique = [...new Set(names)];
    const found = await this.roles.findByNames(unique);
    const missing = unique.filter((n) => !found.some((r) => r.name.toLowerCase() === n.toLowerCase()));
    if (missing.length) throw new RequestValidationError(missing.map((n) => ({ path: 'roles', message: `unknown role "${n}"` })));
    return found.map((r) => r.id);
  }
}
