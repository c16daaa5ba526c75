// class-transformer ships the types of its metadata storage under types/, not next to cjs/storage.js.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
