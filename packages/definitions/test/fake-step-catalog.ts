import { plainToInstance, Type } from 'class-transformer';
import { Equals, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, ValidateNested, validateSync, type ValidationError } from 'class-validator';
import type { StepConfigProblem, StepTypeCatalog } from '../src/step-type-catalog';

/**
 * A small step-type catalog for the definitions specs (the real one is the executors' registry,
 * which definitions must not import): two step types with class-validator config classes and a
 * template-tolerant validateConfig, like ExecutorRegistry's save mode.
 */

export class PingAuth {
  @Equals('token') type!: 'token';
  @IsString() @IsNotEmpty() token!: string;
}

export class PingConfig {
  @IsIn(['GET', 'POST'], { message: 'must be one of GET, POST' }) method!: string;
  @IsString() @IsNotEmpty() url!: string;
  @IsOptional() @Max(60) @Min(1) @IsInt() timeout_seconds: number = 10;
  @IsOptional() @ValidateNested() @Type(() => PingAuth) auth?: PingAuth;
}

export class SqlConfig {
  @IsString() @IsNotEmpty() query!: string;
}

export class FreeConfig {}

const classes: Record<string, new () => object> = { free: FreeConfig, ping: PingConfig, sql: SqlConfig };

const templated = (v: unknown): boolean => typeof v === 'string' && (v.includes('{{') || v.includes('${'));

function problems(errors: ValidationError[], prefix: string): StepConfigProblem[] {
  return errors.flatMap((e) => {
    if (templated(e.value)) return [];
    const path = prefix === '' ? e.property : `${prefix}.${e.property}`;
    const own = Object.entries(e.constraints ?? {}).map(([name, message]) => ({
      path,
      message: name === 'whitelistValidation' ? 'is not allowed' : message.replace(`${e.property} `, ''),
    }));
    return [...own.slice(0, 1), ...problems(e.children ?? [], path)];
  });
}

export class FakeStepCatalog implements StepTypeCatalog {
  readonly calls: { type: string; config: unknown }[] = [];
  types(): readonly string[] {
    return Object.keys(classes).sort();
  }
  validateConfig(type: string, config: unknown): StepConfigProblem[] {
    this.calls.push({ type, config });
    if (type === 'free') return []; // a step type whose config is free-form JSON
    const instance = plainToInstance(classes[type] as new () => object, config);
    return problems(validateSync(instance, { whitelist: true, forbidNonWhitelisted: true }), '');
  }
  configClass(type: string): new () => object {
    return classes[type] as new () => object;
  }
}
