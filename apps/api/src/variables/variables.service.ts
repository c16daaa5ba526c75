import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { SECRET_MASK } from '@vecron/context';
import { SecretCipherError, VariableNameTakenError, VariablesRepository, type VariableRecord } from '@vecron/db';
import type { AuthUser } from '../auth/auth-user';
import { SEE_SENSITIVE_VARIABLES } from '../auth/permissions';
import { ConflictError, ForbiddenError, NotFoundError, RequestValidationError } from '../errors/app-errors';
import { JobsService } from '../jobs/jobs.service';
import type { CreateVariableDto, ListVariablesQuery, UpdateVariableDto } from './dto/variable.dto';

/** A variable as the API returns it: sensitive values are always masked. */
export interface VariableView {
  id: string;
  name: string;
  value: string;
  is_sensitive: boolean;
  job_id: string | null;
  created_at: string;
  updated_at: string;
}

function present(v: VariableRecord): VariableView {
  return {
    id: v.id,
    name: v.name,
    value: v.is_sensitive ? SECRET_MASK : v.value!,
    is_sensitive: v.is_sensitive,
    job_id: v.job_id,
    created_at: v.created_at.toISOString(),
    updated_at: v.updated_at.toISOString(),
  };
}

/** Global and job-scoped variables. A change applies to executions that start after it. */
@Injectable()
export class VariablesService {
  private readonly logger = new Logger(VariablesService.name);

  constructor(private readonly variables: VariablesRepository, private readonly jobs: JobsService) {}

  /** Without `variable:encrypt` a caller sees only non-sensitive variables. */
  async list(q: ListVariablesQuery, user: AuthUser): Promise<{ items: VariableView[]; total: number; page: number; page_size: number }> {
    const { items, total } = await this.variables.list({
      scope: q.scope, jobId: q.job_id, excludeSensitive: !user.permissions.includes(SEE_SENSITIVE_VARIABLES), page: q.page, pageSize: q.page_size,
    });
    return { items: items.map(present), total, page: q.page, page_size: q.page_size };
  }

  /** Creating a sensitive variable needs `variable:encrypt`. */
  async create(dto: CreateVariableDto, user: AuthUser): Promise<VariableView> {
    if (dto.is_sensitive && !user.permissions.includes(SEE_SENSITIVE_VARIABLES)) throw new ForbiddenError(`missing permission ${SEE_SENSITIVE_VARIABLES}`);
    const jobId = dto.job_id ?? null;
    if (jobId && !(await this.jobs.exists(jobId))) throw new RequestValidationError([{ path: 'job_id', message: `job ${jobId} not found` }]);
    const row = await this.guard(() =>
      this.variables.insert(randomUUID(), { name: dto.name, value: dto.value, is_sensitive: dto.is_sensitive ?? false, job_id: jobId }),
    );
    this.logger.log({ variable_id: row.id, job_id: jobId, name: row.name }, 'variable created');
    return present(row);
  }

  async update(id: string, dto: UpdateVariableDto, user: AuthUser): Promise<VariableView> {
    const current = await this.require(id, user);
    if (dto.is_sensitive && !user.permissions.includes(SEE_SENSITIVE_VARIABLES)) throw new ForbiddenError(`missing permission ${SEE_SENSITIVE_VARIABLES}`);
    const sensitive = dto.is_sensitive ?? current.is_sensitive;
    if (dto.value === undefined && sensitive !== current.is_sensitive) {
      throw new RequestValidationError([{ path: 'value', message: 'a new value is required when is_sensitive changes' }]);
    }
    const value = dto.value ?? (current.is_sensitive ? null : current.value);
    const row = await this.guard(async () =>
      value === null
        ? this.variables.rename(id, dto.name ?? current.name, current.job_id)
        : this.variables.update(id, { name: dto.name ?? current.name, value, is_sensitive: sensitive, job_id: current.job_id }),
    );
    if (!row) throw new NotFoundError(`variable ${id} not found`);
    this.logger.log({ variable_id: id, name: row.name }, 'variable updated');
    return present(row);
  }

  async remove(id: string, user: AuthUser): Promise<void> {
    await this.require(id, user);
    if (!(await this.variables.delete(id))) throw new NotFoundError(`variable ${id} not found`);
    this.logger.log({ variable_id: id }, 'variable deleted');
  }

  /** A sensitive variable is invisible (404) to a caller without `variable:encrypt`. */
  private async require(id: string, user: AuthUser): Promise<VariableRecord> {
    const v = await this.variables.findById(id);
    if (!v || (v.is_sensitive && !user.permissions.includes(SEE_SENSITIVE_VARIABLES))) throw new NotFoundError(`variable ${id} not found`);
    return v;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof VariableNameTakenError) throw new ConflictError(err.message);
      if (err instanceof SecretCipherError) throw new ConflictError(`cannot store a sensitive value: ${err.message}`);
      throw err;
    }
  }
}
