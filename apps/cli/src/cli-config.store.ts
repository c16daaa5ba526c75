import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'fs';
import path from 'path';

/** What `vecron login` keeps: the API URL and the access token. */
export interface CliCredentials {
  url: string;
  token: string;
  username?: string;
  expires_at?: string;
}

/**
 * The CLI's config file `<dir>/config.json` (dir: `$VECRON_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/vecron`, else `~/.config/vecron`), written with mode 0600 in a 0700 folder:
 * it holds a token.
 */
export class CliConfigStore {
  constructor(readonly dir: string) {}

  static defaultDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
    if (env['VECRON_CONFIG_DIR']) return env['VECRON_CONFIG_DIR'];
    const base = env['XDG_CONFIG_HOME'] || path.join(home, '.config');
    return path.join(base, 'vecron');
  }

  get file(): string {
    return path.join(this.dir, 'config.json');
  }

  read(): CliCredentials | null {
    if (!existsSync(this.file)) return null;
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<CliCredentials>;
      return typeof value.url === 'string' && typeof value.token === 'string' ? (value as CliCredentials) : null;
    } catch {
      return null;
    }
  }

  write(credentials: CliCredentials): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    // Created 0600 (never readable by others, not even for a moment), then moved into place.
    writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }
}
