import path from 'path';
import { ROOT } from './common';

/** The sshd of scripts/services.d/sshd.sh (VECRON_SFTP_PORT, .data/sshd). */
export const SFTP_PORT = Number(process.env.BENCH_SFTP_PORT ?? process.env.VECRON_SFTP_PORT ?? 22222);
export const SFTP_DIR = process.env.BENCH_SFTP_DIR ?? path.join(process.env.VECRON_DATA_DIR ?? path.join(ROOT, '.data'), 'sshd');
export const BENCH_JOB = 'bench-sftp';
export const BENCH_EXEC = 'run-1';
