import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CircuitBreakers } from '@vecron/queue';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { REDIS } from '../redis/redis.module';
import type { CircuitListDto } from './dto/circuit.dto';

/** System state shared by the workers: the circuit breakers of the step targets (in Redis). */
@Injectable()
export class SystemService {
  private readonly breakers: CircuitBreakers;

  constructor(@Inject(REDIS) redis: Redis, @Inject(API_CONFIG) config: ApiEnv, @InjectPinoLogger(SystemService.name) logger: PinoLogger) {
    // Read only: the thresholds are the workers'; what is shown comes from the stored records.
    this.breakers = new CircuitBreakers({ redis, prefix: config.QUEUE_PREFIX, logger: logger.logger });
  }

  async circuits(): Promise<CircuitListDto> {
    const items = await this.breakers.list();
    return { items, total: items.length };
  }
}
