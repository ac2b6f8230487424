/**
 * The dashboard served alone (`task dashboard`): a fastify instance with cookies, form bodies,
 * helmet's security headers (a Content-Security-Policy allowing only this origin's scripts and
 * styles, so no inline script can run) and the dashboard plugin. Node-only.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { ApiDeps } from '../context';
import { dashboardRoutes } from './index';

/** Body-size limit of the dashboard's forms. */
const BODY_LIMIT = 64 * 1024;

/** The Content-Security-Policy directives of the dashboard: own-origin scripts and styles only. */
export const DASHBOARD_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  // Served over plain HTTP on a LAN address, an upgrade would break the page's own assets.
  upgradeInsecureRequests: null,
};

/** A fastify instance serving only the dashboard (not yet listening). */
export async function buildDashboardServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
  await app.register(cookie);
  await app.register(formbody);
  await app.register(helmet, { contentSecurityPolicy: { directives: DASHBOARD_CSP_DIRECTIVES } });
  await app.register(dashboardRoutes, deps);
  return app;
}
