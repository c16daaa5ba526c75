import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthUser } from '../auth/auth-user';
import { AuditRepository, type AuditEntry } from './audit.repository';

/** Webhook keys are credentials (the URL starts a job): never stored in the audit log. */
const WEBHOOK_KEY = /^(\/webhooks\/)[^/?]+/;

/** The resource a request is about: its path without the query, secrets masked. */
export function auditResource(req: Request): string {
  const path = (req.originalUrl ?? req.url).split('?')[0]!;
  return path.replace(WEBHOOK_KEY, '$1***');
}

/** Who, from where: the fields every audit entry takes from the request. */
export function auditCaller(req: Request, user?: AuthUser | null): Pick<AuditEntry, 'user_id' | 'username' | 'roles' | 'address' | 'user_agent'> {
  const agent = req.headers['user-agent'];
  return {
    user_id: user?.id ?? null,
    username: user?.username ?? null,
    roles: user?.roles ?? [],
    address: req.ip ?? req.socket?.remoteAddress ?? null,
    user_agent: typeof agent === 'string' ? agent.slice(0, 500) : null,
  };
}

/**
 * Writes the audit log: state-changing requests (AuditInterceptor), logins (AuthService) and
 * permission denials (AuthGuard). An audit write that fails is logged and never fails the request.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly repo: AuditRepository) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.repo.insert(entry);
    } catch (err) {
      this.logger.error({ err: { message: (err as Error).message }, action: entry.action }, 'audit log write failed');
    }
  }
}
