import { z } from 'zod';

import { type RouteContributor } from '../../../platform/http/app.js';
import { actorOf } from './actor-of.js';
import { type ApiRouter, unwrap } from '../../../platform/http/api-routes.js';
import { ROLES } from '../domain/actor.js';
import { type IdentityService } from '../application/identity-service.js';

export const userId = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\s/]+$/, 'must not contain spaces or slashes');
const memberBody = z.object({ userId, role: z.enum(ROLES) });

const me = z.object({ userId: z.string(), organizationId: z.uuid(), role: z.enum(ROLES) }).meta({ id: 'Me' });
const newMember = z
  .object({ userId: z.string(), role: z.enum(ROLES), apiKey: z.string().describe('The member’s API key, shown this once (stored hashed)') })
  .meta({ id: 'NewMember' });

export class IdentityRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly identity: IdentityService) {}

  register(routes: ApiRouter): void {
    routes.route({
      method: 'get',
      path: '/me',
      tag: 'Identity',
      summary: 'Who the API key belongs to',
      responses: { 200: { description: 'The caller', schema: me } },
      handle: (_input, _req, res) => {
        const actor = actorOf(res);
        res.json({ userId: actor.userId, organizationId: actor.organizationId, role: actor.role });
      },
    });

    routes.route({
      method: 'post',
      path: '/members',
      tag: 'Identity',
      summary: 'Add a member to the caller’s organisation (owners and admins)',
      body: memberBody,
      responses: { 201: { description: 'The member and their API key (shown once)', schema: newMember } },
      problems: ['UNAUTHORIZED', 'CONFLICT'],
      handle: async ({ body }, _req, res) => {
        const actor = actorOf(res);
        const result = await this.identity.addMember({ organizationId: actor.organizationId, userId: body.userId, role: body.role, actor });
        const value = unwrap(result);
        res.status(201).json(value);
      },
    });
  }
}
