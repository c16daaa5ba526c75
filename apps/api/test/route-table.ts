import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PERMISSIONS_KEY, PUBLIC_KEY } from '../src/auth/auth.decorators';

/** One route of the api as its controllers declare it. */
export interface RouteEntry {
  method: string;
  /** Express-style path, e.g. /api/jobs/:id */
  path: string;
  controller: string;
  handler: string;
  isPublic: boolean;
  /** undefined: no @RequirePermissions (and not @Public) — a mistake the matrix test reports. */
  permissions: string[] | undefined;
}

const joinPath = (...parts: string[]): string => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

/** Every route handler of every controller of the running app (Nest's module container). */
export function routeTable(app: INestApplication): RouteEntry[] {
  const routes: RouteEntry[] = [];
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const ctrl = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!ctrl) continue;
      const base = Reflect.getMetadata(PATH_METADATA, ctrl) as string | string[] | undefined;
      const bases = Array.isArray(base) ? base : [base ?? ''];
      const proto = ctrl.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor') continue;
        const fn = proto[name];
        if (typeof fn !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod | undefined;
        if (method === undefined) continue;
        const sub = Reflect.getMetadata(PATH_METADATA, fn) as string | string[] | undefined;
        const subs = Array.isArray(sub) ? sub : [sub ?? ''];
        const isPublic = (Reflect.getMetadata(PUBLIC_KEY, fn) ?? Reflect.getMetadata(PUBLIC_KEY, ctrl)) === true;
        const permissions = (Reflect.getMetadata(PERMISSIONS_KEY, fn) ?? Reflect.getMetadata(PERMISSIONS_KEY, ctrl)) as string[] | undefined;
        for (const b of bases) {
          for (const s of subs) {
            routes.push({ method: RequestMethod[method], path: joinPath(b, s), controller: ctrl.name, handler: name, isPublic, permissions });
          }
        }
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/** The routes express actually serves (its router stack), e.g. `GET /api/jobs/:id`. */
export function expressRoutes(app: INestApplication): string[] {
  const instance = app.getHttpAdapter().getInstance() as { router?: { stack: Layer[] }; _router?: { stack: Layer[] } };
  const stack = (instance.router ?? instance._router)?.stack ?? [];
  const out: string[] = [];
  for (const layer of stack) {
    // Middleware bound to every path (nestjs-pino's forRoutes('*')) is registered as `/{*path}`: not a handler.
    if (!layer.route || layer.route.path === '/{*path}') continue;
    for (const m of Object.keys(layer.route.methods)) if (layer.route.methods[m]) out.push(`${m.toUpperCase()} ${layer.route.path}`);
  }
  return out;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}
