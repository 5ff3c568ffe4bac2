import { type Response } from 'express';
import { type Actor } from '../domain/actor.js';

/** The caller the HTTP app authenticated (API key or console session) for this request. */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('No authenticated actor on this route');
  return actor;
}
