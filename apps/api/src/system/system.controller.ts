import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CircuitListDto } from './dto/circuit.dto';
import { SystemService } from './system.service';

@ApiTags('system')
@Controller('api/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('circuits')
  @ApiOperation({ summary: 'Circuit breakers of the step targets (shared by every worker): state, failure count, recent transitions' })
  @ApiOkResponse({ type: CircuitListDto })
  circuits(): Promise<CircuitListDto> {
    return this.system.circuits();
  }
}
