import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../auth/auth.decorators';
import { CircuitListDto } from './dto/circuit.dto';
import { SystemService } from './system.service';

@ApiTags('system')
@ApiBearerAuth()
@Controller('api/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('circuits')
  @RequirePermissions('system:config')
  @ApiOperation({ summary: 'Circuit breakers of the step targets (shared by every worker): state, failure count, recent transitions' })
  @ApiOkResponse({ type: CircuitListDto })
  circuits(): Promise<CircuitListDto> {
    return this.system.circuits();
  }
}
