#!/usr/bin/env node
// Local S3-compatible endpoint for development and tests (s3rver, path-style,
// credentials S3RVER/S3RVER). The product only ever talks to it through the
// `minio` client, exactly as it would to a real MinIO.
//
// s3rver lacks ListMultipartUploads (`GET /{bucket}?uploads`), which the minio
// client sends before every multipart upload; we answer that one request with
// an empty result so that large streamed uploads work.
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const { Transform, pipeline } = require('stream');
const S3rver = require('@20minutes/s3rver');
const FilesystemStore = require('@20minutes/s3rver/lib/stores/filesystem');

// s3rver writes an object's bytes and its metadata in place (truncate, then write), so a GET
// that arrives during a PUT of the same key reads a partial object: a context.json read while
// the worker rewrites it came back as truncated JSON. S3 (and MinIO) replace objects atomically;
// so do we here: write to a temporary file (its name never ends in `._S3rver_object`, so listings
// skip it), then rename it over the old one.
let tmpCounter = 0;
const tmpPath = (target) => `${target}.${process.pid}-${++tmpCounter}.tmp`;
const s3rverMetadata = FilesystemStore.prototype.putMetadata;
FilesystemStore.prototype.putContent = function putContentAtomically(objectPath, content) {
  const tmp = tmpPath(objectPath);
  return new Promise((resolve, reject) => {
    const md5 = crypto.createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk, encoding, callback) {
        md5.update(chunk, encoding);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const source = Buffer.isBuffer(content) ? require('stream').Readable.from([content]) : content;
    pipeline(source, count, fs.createWriteStream(tmp), (err) => {
      if (err) {
        fs.rm(tmp, { force: true }, () => reject(err));
        return;
      }
      fs.rename(tmp, objectPath, (renameErr) => (renameErr ? reject(renameErr) : resolve([size, md5.digest('hex')])));
    });
  });
};
FilesystemStore.prototype.putMetadata = async function putMetadataAtomically(bucket, key, metadata, md5) {
  // s3rver's own method writes both files with fs.writeFile; give it paths to temporary files by
  // wrapping getResourcePath for this call, then move them into place.
  const moves = [];
  const store = Object.create(this);
  store.getResourcePath = (b, k, resource) => {
    const target = this.getResourcePath(b, k, resource);
    const tmp = tmpPath(target);
    moves.push([tmp, target]);
    return tmp;
  };
  await s3rverMetadata.call(store, bucket, key, metadata, md5);
  for (const [tmp, target] of moves) {
    if (fs.existsSync(tmp)) await fs.promises.rename(tmp, target);
  }
};

// Completing a multipart upload: s3rver streams every part into a new object file and computes
// the md5 of the whole object on the way (a second full write and a second md5 of every byte, in
// one Node process — half the time of a large upload). Instead: the first part's file becomes the
// object file (a rename), the other parts are appended with 1 MiB reads, and the ETag is the one
// S3 and MinIO give a multipart object: md5 of the parts' binary md5s, then `-{part count}`.
// The object still appears atomically (renamed into place when complete).
const path = require('path');
const { pipeline: pipelineAsync } = require('stream/promises');
FilesystemStore.prototype.putObjectMultipart = async function putObjectMultipartByAppending(bucket, uploadId, parts) {
  const uploadDir = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  const [key, metadata] = await Promise.all([
    fs.promises.readFile(path.join(uploadDir, 'key'), 'utf8'),
    fs.promises.readFile(path.join(uploadDir, 'metadata'), 'utf8').then(JSON.parse),
  ]);
  const files = [...parts].sort((a, b) => a.number - b.number).map((part) => path.join(uploadDir, String(part.number)));
  const md5s = await Promise.all(files.map((file) => fs.promises.readFile(`${file}.md5`, 'utf8')));
  const etag = `${crypto.createHash('md5').update(Buffer.concat(md5s.map((h) => Buffer.from(h.trim(), 'hex')))).digest('hex')}-${files.length}`;
  const objectPath = this.getResourcePath(bucket, key, 'object');
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  const tmp = tmpPath(objectPath);
  try {
    if (files.length === 0) await fs.promises.writeFile(tmp, '');
    else await fs.promises.rename(files[0], tmp);
    for (const file of files.slice(1)) {
      await pipelineAsync(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), fs.createWriteStream(tmp, { flags: 'a' }));
    }
    const { size } = await fs.promises.stat(tmp);
    await fs.promises.rename(tmp, objectPath);
    await this.putMetadata(bucket, key, metadata, etag);
    await fs.promises.rm(uploadDir, { recursive: true, force: true });
    return { size, md5: etag };
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
};

const port = Number(process.env.S3_SERVER_PORT || 29000);
const address = process.env.S3_SERVER_ADDRESS || '127.0.0.1';
const directory = process.env.S3_SERVER_DIR;
if (!directory) {
  process.stderr.write('S3_SERVER_DIR is required\n');
  process.exit(2);
}

const s3 = new S3rver({ directory, silent: true, allowMismatchedSignatures: false });
const handler = s3.callback();

function isListMultipartUploads(req) {
  if (req.method !== 'GET') return null;
  const url = new URL(req.url, 'http://local');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts.length !== 1 || !url.searchParams.has('uploads')) return null;
  return parts[0];
}

const server = http.createServer((req, res) => {
  const bucket = isListMultipartUploads(req);
  if (bucket) {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
      '<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>' +
      '<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>';
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  handler(req, res);
});
server.keepAliveTimeout = 65000;
server.listen(port, address, () => {
  process.stdout.write(`s3 endpoint listening on http://${address}:${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
