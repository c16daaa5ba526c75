import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser, RequirePermissions } from '../auth/auth.decorators';
import { UuidPipe } from '../errors/uuid.pipe';
import { PageQuery } from '../jobs/dto/list-jobs.query';
import { CreateRoleDto, CreateUserDto, SetRolesDto, UpdateRoleDto, UpdateUserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermissions('user:manage')
  @ApiOperation({ summary: 'List users with their roles and permissions' })
  list(@Query() q: PageQuery) {
    return this.users.list(q.page, q.page_size);
  }

  @Get(':id')
  @RequirePermissions('user:manage')
  get(@Param('id', UuidPipe) id: string) {
    return this.users.get(id);
  }

  @Post()
  @RequirePermissions('user:manage')
  @ApiOperation({ summary: 'Create a user {username, password, roles}; giving roles also needs role:assign' })
  create(@Body() dto: CreateUserDto, @CurrentUser() caller: AuthUser) {
    return this.users.create(dto, caller);
  }

  @Put(':id')
  @RequirePermissions('user:manage')
  @ApiOperation({ summary: 'Enable/disable a user or reset the password (both revoke the user’s tokens)' })
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateUserDto, @CurrentUser() caller: AuthUser) {
    return this.users.update(id, dto, caller);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('user:manage')
  async remove(@Param('id', UuidPipe) id: string, @CurrentUser() caller: AuthUser): Promise<void> {
    await this.users.remove(id, caller);
  }

  @Put(':id/roles')
  @RequirePermissions('role:assign')
  @ApiOperation({ summary: "Replace a user's roles (revokes their tokens at once); nobody may change their own roles" })
  setRoles(@Param('id', UuidPipe) id: string, @Body() dto: SetRolesDto, @CurrentUser() caller: AuthUser) {
    return this.users.setRoles(id, dto.roles, caller);
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/roles')
export class RolesController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermissions('user:manage')
  @ApiOperation({ summary: 'Roles and their permissions' })
  list() {
    return this.users.listRoles();
  }

  @Post()
  @RequirePermissions('role:assign')
  create(@Body() dto: CreateRoleDto) {
    return this.users.createRole(dto);
  }

  @Put(':id')
  @RequirePermissions('role:assign')
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateRoleDto) {
    return this.users.updateRole(id, dto.permissions);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('role:assign')
  async remove(@Param('id', UuidPipe) id: string): Promise<void> {
    await this.users.removeRole(id);
  }
}
