import { Global, Inject, Module, type DynamicModule, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import { MinioObjectStorage, type MinioObjectStorageOptions } from './minio.storage';

/** Injection token of the app's ObjectStorage (a MinioObjectStorage whose bucket exists). */
export const OBJECT_STORAGE = 'VECRON_OBJECT_STORAGE';

/** Parameter decorator: `constructor(@InjectObjectStorage() storage: ObjectStorage)`. */
export const InjectObjectStorage = (): PropertyDecorator & ParameterDecorator => Inject(OBJECT_STORAGE);

export interface StorageModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  // Nest passes whatever `inject` lists; `never[]` lets the caller type its own parameters.
  useFactory: (...args: never[]) => MinioObjectStorageOptions | Promise<MinioObjectStorageOptions>;
}

async function createStorage(options: MinioObjectStorageOptions): Promise<MinioObjectStorage> {
  const storage = new MinioObjectStorage(options);
  await storage.ensureBucket();
  return storage;
}

/**
 * Provides OBJECT_STORAGE to a Nest app (global). The bucket is created, if
 * missing, while the app starts; an unreachable store fails the start with
 * StorageUnavailableError.
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(options: MinioObjectStorageOptions): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: OBJECT_STORAGE, useFactory: () => createStorage(options) }],
      exports: [OBJECT_STORAGE],
    };
  }

  static forRootAsync(options: StorageModuleAsyncOptions): DynamicModule {
    return {
      module: StorageModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: OBJECT_STORAGE,
          useFactory: async (...args: unknown[]) => createStorage(await options.useFactory(...(args as never[]))),
          inject: options.inject ?? [],
        },
      ],
      exports: [OBJECT_STORAGE],
    };
  }
}
