import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Client } from 'minio';
import { StorageUnavailableError } from '../src/errors';
import { MinioObjectStorage, type MinioObjectStorageOptions } from '../src/minio.storage';
import type { ObjectStorage } from '../src/object-storage';
import { InjectObjectStorage, OBJECT_STORAGE, StorageModule } from '../src/storage.module';
import { testS3Options, uniqueBucketName } from './s3-test-config';

@Injectable()
class UsesStorage {
  constructor(@InjectObjectStorage() readonly storage: ObjectStorage) {}
}

/** A feature module that does not import StorageModule: the token must come from the global module. */
@Module({ providers: [UsesStorage], exports: [UsesStorage] })
class FeatureModule {}

const CONFIG = 'TEST_S3_CONFIG';

@Module({ providers: [{ provide: CONFIG, useFactory: () => testS3Options() }], exports: [CONFIG] })
class ConfigModule {}

describe('StorageModule', () => {
  const createdBuckets: string[] = [];

  afterAll(async () => {
    const o = testS3Options();
    const client = new Client({ endPoint: o.endPoint, port: o.port, useSSL: o.useSSL, accessKey: o.accessKey, secretKey: o.secretKey, pathStyle: true });
    for (const bucket of createdBuckets) await client.removeBucket(bucket).catch(() => undefined);
  });

  it('forRoot provides OBJECT_STORAGE globally as a MinioObjectStorage whose bucket exists', async () => {
    const bucket = uniqueBucketName('module');
    createdBuckets.push(bucket);
    const moduleRef = await Test.createTestingModule({ imports: [StorageModule.forRoot(testS3Options({ bucket })), FeatureModule] }).compile();
    const storage = moduleRef.get<ObjectStorage>(OBJECT_STORAGE);
    expect(storage).toBeInstanceOf(MinioObjectStorage);
    expect(moduleRef.get(UsesStorage).storage).toBe(storage);
    await expect(storage.ping()).resolves.toBeUndefined(); // ensureBucket ran during start-up
    await storage.put('hello', 'world');
    expect((await storage.get('hello')).toString()).toBe('world');
    await storage.delete('hello');
    await moduleRef.close();
  });

  it('forRootAsync builds the options from injected providers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StorageModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (config: MinioObjectStorageOptions) => ({ ...config }),
        }),
        FeatureModule,
      ],
    }).compile();
    const storage = moduleRef.get<MinioObjectStorage>(OBJECT_STORAGE);
    expect(storage.bucket).toBe(testS3Options().bucket);
    expect(moduleRef.get(UsesStorage).storage).toBe(storage);
    await expect(storage.ping()).resolves.toBeUndefined();
    await moduleRef.close();
  });

  it('fails the start with StorageUnavailableError when the store is unreachable', async () => {
    const builder = Test.createTestingModule({ imports: [StorageModule.forRoot({ ...testS3Options(), port: 1 })] });
    await expect(builder.compile()).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
