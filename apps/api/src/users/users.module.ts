import { Module } from '@nestjs/common';
import { RolesController, UsersController } from './users.controller';
import { RolesRepository, UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** Users and roles (database mode). */
@Module({
  controllers: [UsersController, RolesController],
  providers: [UsersRepository, RolesRepository, UsersService],
  exports: [UsersRepository, RolesRepository],
})
export class UsersModule {}
