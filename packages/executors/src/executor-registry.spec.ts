import { IsIn, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { caught, runContext } from '../test/support';
import {
  RetryableStepError,
  StepAbortedError,
  StepConfigError,
  StepError,
  UnknownStepTypeError,
  UnrecoverableStepError,
} from './errors';
import { ExecutorRegistry } from './executor-registry';
import { EXECUTOR_REGISTRY, ExecutorsModule } from './executors.module';
import { FileProcessingExecutor } from './file_processing/file-processing.executor';
import { HttpExecutor } from './http/http.executor';
import { SftpExecutor } from './sftp/sftp.executor';
import type { StepExecutor, StepRunContext } from './step-executor';
import { validateStepConfig } from './validate-step-config';

class Item {
  @IsString()
  name!: string;
}

class EchoConfig {
  @IsIn(['a', 'b'], { message: 'must be one of a, b' })
  mode!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  count: number = 1;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => Item)
  items?: Item[];
}

class EchoExecutor implements StepExecutor<EchoConfig, { mode: string; count: number }> {
  readonly configClass = EchoConfig;
  calls = 0;
  constructor(
    readonly type = 'echo',
    private readonly behaviour: (config: EchoConfig, run: StepRunContext) => Promise<unknown> = async () => undefined,
  ) {}
  async execute(config: EchoConfig, run: StepRunContext): Promise<{ mode: string; count: number }> {
    this.calls++;
    await this.behaviour(config, run);
    return { mode: config.mode, count: config.count };
  }
}

describe('ExecutorRegistry', () => {
  it('rejects two executors for the same step type at construction', () => {
    expect(() => new ExecutorRegistry([new EchoExecutor('http'), new EchoExecutor('http')])).toThrow(
      'duplicate executor for step type "http"',
    );
  });

  it('lists its types and returns executors by type', () => {
    const echo = new EchoExecutor('echo');
    const registry = new ExecutorRegistry([new EchoExecutor('zeta'), echo]);
    expect(registry.types()).toEqual(['echo', 'zeta']);
    expect(registry.get('echo')).toBe(echo);
    expect(registry.has('zeta')).toBe(true);
    expect(registry.has('nope')).toBe(false);
  });

  it('throws a non-retryable UnknownStepTypeError for a missing type', () => {
    const registry = new ExecutorRegistry([new EchoExecutor('echo')]);
    const err = (() => {
      try {
        registry.get('sftp');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UnknownStepTypeError);
    expect(err).toMatchObject({ retryable: false, code: 'UNKNOWN_STEP_TYPE', stepType: 'sftp' });
    expect((err as Error).message).toBe('unknown step type "sftp" (known: echo)');
  });

  it('assertSupports passes for registered types and names every missing one', () => {
    const registry = new ExecutorRegistry([new EchoExecutor('echo'), new EchoExecutor('http')]);
    expect(() => registry.assertSupports(['http', 'echo', 'http'])).not.toThrow();
    expect(() => registry.assertSupports(['http', 'sftp', 'database'])).toThrow(
      'unsupported step types: "database", "sftp" (registered: echo, http)',
    );
  });

  it('run validates, applies defaults and executes', async () => {
    const echo = new EchoExecutor();
    const registry = new ExecutorRegistry([echo]);
    await expect(registry.run('echo', { mode: 'a' }, runContext())).resolves.toEqual({ mode: 'a', count: 1 });
    expect(echo.calls).toBe(1);
  });

  it('run rejects an invalid config with every issue and its path, without executing', async () => {
    const echo = new EchoExecutor();
    const registry = new ExecutorRegistry([echo]);
    const err = await caught(() =>
      registry.run('echo', { mode: 'c', count: 0, extra: true, items: [{ name: 'x' }, { name: 5 }] }, runContext()),
    );
    expect(err).toBeInstanceOf(StepConfigError);
    const configError = err as StepConfigError;
    expect(configError.retryable).toBe(false);
    expect(configError.code).toBe('STEP_CONFIG_INVALID');
    expect(configError.issues).toEqual(
      expect.arrayContaining([
        { path: 'config.mode', message: 'must be one of a, b' },
        { path: 'config.count', message: 'must not be less than 1' },
        { path: 'config.extra', message: 'is not allowed' },
        { path: 'config.items[1].name', message: 'must be a string' },
      ]),
    );
    expect(configError.issues).toHaveLength(4);
    expect(configError.message).toContain('config.mode: must be one of a, b');
    expect(configError.toJSON()).toMatchObject({ code: 'STEP_CONFIG_INVALID', retryable: false, details: { issues: configError.issues } });
    expect(echo.calls).toBe(0);
  });

  it('run rejects a config that is not an object', async () => {
    const registry = new ExecutorRegistry([new EchoExecutor()]);
    for (const raw of [null, 'x', [1], 3]) {
      const err = await caught(() => registry.run('echo', raw, runContext()));
      expect((err as StepConfigError).issues).toEqual([{ path: 'config', message: 'must be an object' }]);
    }
  });

  it('run passes StepErrors through unchanged', async () => {
    const original = new UnrecoverableStepError('boom', 'MY_CODE');
    const registry = new ExecutorRegistry([new EchoExecutor('echo', async () => Promise.reject(original))]);
    await expect(registry.run('echo', { mode: 'a' }, runContext())).rejects.toBe(original);
  });

  it('run wraps a programming error as non-retryable and any other error as retryable', async () => {
    const typeError = new ExecutorRegistry([
      new EchoExecutor('echo', async () => {
        throw new TypeError('x is not a function');
      }),
    ]);
    const err1 = await caught(() => typeError.run('echo', { mode: 'a' }, runContext()));
    expect(err1).toBeInstanceOf(UnrecoverableStepError);
    expect(err1).toMatchObject({ code: 'INTERNAL_ERROR', retryable: false, message: 'internal error: x is not a function' });

    const plain = new ExecutorRegistry([
      new EchoExecutor('echo', async () => {
        throw new Error('socket closed');
      }),
    ]);
    const err2 = await caught(() => plain.run('echo', { mode: 'a' }, runContext()));
    expect(err2).toBeInstanceOf(RetryableStepError);
    expect(err2).toMatchObject({ code: 'UNEXPECTED_ERROR', retryable: true });
    expect((err2 as Error).cause).toBeInstanceOf(Error);
  });

  it('run reports StepAbortedError when the job signal aborted, before or during execution', async () => {
    const before = new AbortController();
    before.abort('cancelled by user');
    const echo = new EchoExecutor();
    const registry = new ExecutorRegistry([echo]);
    const err1 = await caught(() => registry.run('echo', { mode: 'a' }, runContext({ signal: before.signal })));
    expect(err1).toBeInstanceOf(StepAbortedError);
    expect(err1).toMatchObject({ reason: 'cancelled by user', retryable: false });
    expect(echo.calls).toBe(0);

    const during = new AbortController();
    const slow = new ExecutorRegistry([
      new EchoExecutor('echo', async () => {
        during.abort(new Error('execution timeout'));
        throw new Error('interrupted');
      }),
    ]);
    const err2 = await caught(() => slow.run('echo', { mode: 'a' }, runContext({ signal: during.signal })));
    expect(err2).toBeInstanceOf(StepAbortedError);
    expect((err2 as StepAbortedError).message).toBe('step aborted: execution timeout');
    expect(err2).toBeInstanceOf(StepError);
  });

  it('run of an unknown type rejects with UnknownStepTypeError', async () => {
    const registry = new ExecutorRegistry([]);
    await expect(registry.run('http', {}, runContext())).rejects.toBeInstanceOf(UnknownStepTypeError);
  });
});

describe('ExecutorRegistry as the step-type catalog of the definition validator', () => {
  const registry = new ExecutorRegistry([new EchoExecutor('echo'), new HttpExecutor()]);

  it('validates a config at save: paths relative to the config, templates let through', () => {
    expect(registry.validateConfig('echo', { mode: 'b', items: [{ name: 'x' }] })).toEqual([]);
    expect(registry.validateConfig('echo', { mode: 'c', count: 0, items: [{ name: 5 }], extra: 1 })).toEqual(
      expect.arrayContaining([
        { path: 'mode', message: 'must be one of a, b' },
        { path: 'count', message: 'must not be less than 1' },
        { path: 'items[0].name', message: 'must be a string' },
        { path: 'extra', message: 'is not allowed' },
      ]),
    );
    expect(registry.validateConfig('echo', { mode: '{{steps.a.output.mode}}', count: '${COUNT}' })).toEqual([]);
    expect(registry.validateConfig('echo', 'x')).toEqual([{ path: '', message: 'must be an object' }]);
    expect(registry.validateConfig('http', { method: 'GET', url: 'https://h/', auth: { type: 'bearer', token: '' } })).toEqual([
      { path: 'auth.token', message: 'should not be empty' },
    ]);
  });

  it('gives the config class of a type; unknown types throw UnknownStepTypeError', () => {
    expect(registry.configClass('echo')).toBe(EchoConfig);
    expect(() => registry.configClass('ftp')).toThrow(UnknownStepTypeError);
    expect(() => registry.validateConfig('ftp', {})).toThrow(UnknownStepTypeError);
  });
});

describe('validateStepConfig', () => {
  it('returns a class instance with defaults', () => {
    const config = validateStepConfig(new EchoExecutor(), { mode: 'b' });
    expect(config).toBeInstanceOf(EchoConfig);
    expect(config.count).toBe(1);
  });

  function issuesOf(executor: Parameters<typeof validateStepConfig>[0], raw: unknown, mode: 'run' | 'save'): unknown {
    try {
      validateStepConfig(executor, raw, { mode });
    } catch (err) {
      if (err instanceof StepConfigError) return err.issues;
      throw err;
    }
    return [];
  }

  it('refuses `constructor` and `__proto__` keys anywhere (class-transformer would crash or drop them), in both modes', () => {
    const raw = JSON.parse('{"method":"POST","url":"https://h/","constructor":"x","body":{"a":{"constructor":1},"__proto__":{"polluted":true}}}') as unknown;
    for (const mode of ['run', 'save'] as const) {
      expect(issuesOf(new HttpExecutor(), raw, mode)).toEqual([
        { path: 'config.constructor', message: 'is not allowed' },
        { path: 'config.body.a.constructor', message: 'is not allowed' },
        { path: 'config.body.__proto__', message: 'is not allowed' },
      ]);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses other Object.prototype names as config fields, but keeps them as data in free-form values', () => {
    const raw = JSON.parse('{"mode":"a","toString":"x","items":[{"name":"n","valueOf":1}]}') as unknown;
    for (const mode of ['run', 'save'] as const) {
      expect(issuesOf(new EchoExecutor(), raw, mode)).toEqual([
        { path: 'config.toString', message: 'is not allowed' },
        { path: 'config.items[0].valueOf', message: 'is not allowed' },
      ]);
    }
    const body = { toString: 's', list: [{ hasOwnProperty: 1 }] };
    const config = validateStepConfig(new HttpExecutor(), { method: 'POST', url: 'https://h/', body });
    expect(config.body).toEqual(body);
  });
});

describe('ExecutorsModule', () => {
  function registryFrom(providers: unknown[]): Promise<ExecutorRegistry> {
    const provider = providers.find(
      (p): p is { provide: unknown; useFactory: () => ExecutorRegistry | Promise<ExecutorRegistry> } =>
        typeof p === 'object' && p !== null && (p as { provide?: unknown }).provide === EXECUTOR_REGISTRY,
    );
    if (!provider) throw new Error('no EXECUTOR_REGISTRY provider');
    return Promise.resolve(provider.useFactory());
  }

  it('forRoot provides and exports a registry of the built-in executors by default', async () => {
    const mod = ExecutorsModule.forRoot();
    expect(mod.module).toBe(ExecutorsModule);
    expect(mod.exports).toEqual(expect.arrayContaining([EXECUTOR_REGISTRY, ExecutorRegistry]));
    const registry = await registryFrom(mod.providers ?? []);
    // arrayContaining: every step type added later joins the built-in list.
    expect(registry.types()).toEqual(expect.arrayContaining(['database', 'file_processing', 'http', 'sftp']));
    expect(registry.get('http')).toBeInstanceOf(HttpExecutor);
    expect(registry.get('file_processing')).toBeInstanceOf(FileProcessingExecutor);
    expect(registry.get('sftp')).toBeInstanceOf(SftpExecutor);
  });

  it('forRoot uses the executors given', async () => {
    const registry = await registryFrom(ExecutorsModule.forRoot({ executors: [new EchoExecutor()] }).providers ?? []);
    expect(registry.types()).toEqual(['echo']);
  });

  it('forRootAsync builds the registry from the factory', async () => {
    const mod = ExecutorsModule.forRootAsync({ useFactory: async () => ({ executors: [new EchoExecutor('x')] }) });
    const registry = await registryFrom(mod.providers ?? []);
    expect(registry.types()).toEqual(['x']);
  });

  it('closes the executors (database pools) on application shutdown', async () => {
    const closed: string[] = [];
    const closable = Object.assign(new EchoExecutor('closable'), { close: async () => void closed.push('closable') });
    const registry = await registryFrom(ExecutorsModule.forRoot({ executors: [closable, new EchoExecutor('plain')] }).providers ?? []);
    const module = new ExecutorsModule(registry);
    expect(closed).toEqual([]);
    await module.onApplicationShutdown();
    expect(closed).toEqual(['closable']);
  });
});

describe('ExecutorRegistry.resolveConfig / close', () => {
  it('uses the executor resolveConfig when it has one, else resolves the whole config', () => {
    const custom = Object.assign(new EchoExecutor('custom'), {
      resolveConfig: (raw: unknown, resolve: (v: unknown) => unknown) => ({ ...(resolve(raw) as object), raw: true }),
    });
    const registry = new ExecutorRegistry([custom, new EchoExecutor('plain')]);
    const resolve = (v: unknown): unknown => ({ ...(v as object), resolved: true });
    expect(registry.resolveConfig('custom', { a: 1 }, resolve)).toEqual({ a: 1, resolved: true, raw: true });
    expect(registry.resolveConfig('plain', { a: 1 }, resolve)).toEqual({ a: 1, resolved: true });
  });

  it('close settles even when an executor fails to close', async () => {
    const failing = Object.assign(new EchoExecutor('f'), { close: () => Promise.reject(new Error('boom')) });
    await expect(new ExecutorRegistry([failing]).close()).resolves.toBeUndefined();
  });
});

describe('ExecutorRegistry: one validation per step attempt', () => {
  it('the circuit target and the run share the validation of the same config object; another object is validated again', async () => {
    const seen: EchoConfig[] = [];
    const echo = Object.assign(
      new EchoExecutor('echo', async (config) => {
        seen.push(config);
      }),
      { circuitTarget: (config: EchoConfig) => { seen.push(config); return `target-${config.mode}`; } },
    );
    const registry = new ExecutorRegistry([echo]);
    const config = { mode: 'a', count: 2 };
    expect(registry.circuitTarget('echo', config)).toBe('target-a');
    await registry.run('echo', config, runContext());
    // The same validated instance both times (validated once), an EchoConfig, not the raw object.
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(EchoConfig);
    expect(seen[1]).toBe(seen[0]);
    await registry.run('echo', { mode: 'a', count: 2 }, runContext());
    expect(seen[2]).not.toBe(seen[0]);
    // An invalid config is not remembered as valid.
    const bad = { mode: 'z' };
    expect(registry.circuitTarget('echo', bad)).toBeUndefined();
    expect(await caught(() => registry.run('echo', bad, runContext()))).toBeInstanceOf(StepConfigError);
  });
});
