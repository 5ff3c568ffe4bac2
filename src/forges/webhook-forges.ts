import { type ForgeKind } from '../modules/git-providers/application/ports/forge.js';
import { type WebhookForge } from '../modules/webhooks/application/ports/webhook-forge.js';
import { bitbucketWebhooks } from './bitbucket/bitbucket-webhooks.js';
import { giteaWebhooks } from './gitea/gitea-webhooks.js';
import { githubWebhooks } from './github/github-webhooks.js';
import { gitlabWebhooks } from './gitlab/gitlab-webhooks.js';

/** Verification and parsing per forge; Gitea and Forgejo share one adapter. */
export const webhookForges: Record<ForgeKind, WebhookForge> = {
  github: githubWebhooks,
  gitlab: gitlabWebhooks,
  gitea: giteaWebhooks,
  bitbucket: bitbucketWebhooks,
};

export { bitbucketWebhooks, giteaWebhooks, githubWebhooks, gitlabWebhooks };
export { IgnoredReason } from './shared/webhook-payloads.js';
