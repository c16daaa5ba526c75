export type { ObjectInfo, ObjectStorage, PutOptions } from './object-storage';
export {
  InvalidObjectKeyError,
  ObjectNotFoundError,
  StorageError,
  StorageRequestError,
  StorageUnavailableError,
} from './errors';
export { MinioObjectStorage, parseS3EndpointUrl } from './minio.storage';
export type { MinioObjectStorageOptions } from './minio.storage';
export { InMemoryObjectStorage } from './in-memory.storage';
export type { InMemoryObjectStorageOptions } from './in-memory.storage';
export {
  MAX_OBJECT_KEY_BYTES,
  checkKeyPrefix,
  checkObjectKey,
  executionContextKey,
  executionFileKey,
  executionOutputKey,
  executionPrefix,
  jobDefinitionKey,
  jobDefinitionVersionKey,
  jobPrefix,
  sftpDownloadKey,
} from './storage-keys';
export { InjectObjectStorage, OBJECT_STORAGE, StorageModule } from './storage.module';
export type { StorageModuleAsyncOptions } from './storage.module';
