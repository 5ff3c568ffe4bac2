import { type ForgeKind } from '../../../git-providers/application/ports/forge.js';
import { type WebhookForge } from '../../application/ports/webhook-forge.js';
import { bitbucketWebhooks } from './bitbucket.js';
import { giteaWebhooks } from './gitea.js';
import { githubWebhooks } from './github.js';
import { gitlabWebhooks } from './gitlab.js';

/** Verification and parsing per forge; Gitea and Forgejo share one adapter. */
export const webhookForges: Record<ForgeKind, WebhookForge> = {
  github: githubWebhooks,
  gitlab: gitlabWebhooks,
  gitea: giteaWebhooks,
  bitbucket: bitbucketWebhooks,
};

export { bitbucketWebhooks, giteaWebhooks, githubWebhooks, gitlabWebhooks };
export { IgnoredReason } from './shared.js';
