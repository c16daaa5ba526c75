import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../auth/auth.decorators';
import { API_CONFIG, type ApiEnv } from '../config/api.env';

const MASK = '***';
/** Settings whose value is a credential: shown as *** when set. */
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|ENCRYPTION_KEYS|ACCESS_KEY|PRIVATE/i;

/** A setting's value as shown: secrets masked, passwords inside URLs masked. */
export function maskSetting(name: string, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value ?? null;
  if (SECRET_NAME.test(name)) return MASK;
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      if (!url.password) return value;
      url.password = MASK;
      return url.toString();
    } catch {
      return value;
    }
  }
  return value;
}

@ApiTags('system')
@ApiBearerAuth()
@Controller('api/system/config')
export class SystemConfigController {
  constructor(@Inject(API_CONFIG) private readonly config: ApiEnv) {}

  @Get()
  @RequirePermissions('system:config')
  @ApiOperation({ summary: "The api's effective configuration (environment after defaults), secrets masked" })
  get(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(this.config).sort()) out[name] = maskSetting(name, (this.config as unknown as Record<string, unknown>)[name]);
    return out;
  }
}
