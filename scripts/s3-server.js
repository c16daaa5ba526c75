#!/usr/bin/env node
// Local S3-compatible endpoint for development and tests (s3rver, path-style,
// credentials S3RVER/S3RVER). The product only ever talks to it through the
// `minio` client, exactly as it would to a real MinIO.
//
// s3rver lacks ListMultipartUploads (`GET /{bucket}?uploads`), which the minio
// client sends before every multipart upload; we answer that one request with
// an empty result so that large streamed uploads work.
const http = require('http');
const S3rver = require('@20minutes/s3rver');

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
