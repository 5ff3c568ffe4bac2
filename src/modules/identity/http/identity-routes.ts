import { type Router } from 'express';
import { z } from 'zod';
import { FailureError } from '../../../shared/failure.js';
import { actorOf, type RouteContributor } from '../../../platform/http/app.js';
import { parseInput } from '../../../platform/http/validate.js';
import { ROLES } from '../domain/actor.js';
import { type IdentityService } from '../application/identity-service.js';

export const userId = z.string().trim().min(1).max(200).regex(/^[^\s/]+$/, 'must not contain spaces or slashes');
const memberBody = z.object({ userId, role: z.enum(ROLES) });

export class IdentityRoutes implements RouteContributor {
  readonly kind = 'api' as const;

  constructor(private readonly identity: IdentityService) {}

  register(router: Router): void {
    router.get('/me', (_req, res) => {
      const actor = actorOf(res);
      res.json({ userId: actor.userId, organizationId: actor.organizationId, role: actor.role });
    });

    router.post('/members', async (req, res) => {
      const actor = actorOf(res);
      const b = parseInput(memberBody, req.body, 'body');
      const result = await this.identity.addMember({ organizationId: actor.organizationId, userId: b.userId, role: b.role, actor });
      if (!result.ok) throw new FailureError(result.error);
      res.status(201).json(result.value);
    });
  }
}
