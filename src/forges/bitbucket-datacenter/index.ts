export {
  bitbucketDatacenterApiBase,
  createBitbucketDatacenterApi,
  HOOK_EVENTS,
  type BitbucketDatacenterConnection,
} from './bitbucket-datacenter-api.js';
export { bitbucketDatacenterWebhooks } from './bitbucket-datacenter-webhooks.js';
export { BITBUCKET_DATACENTER } from './bitbucket-datacenter-name.js';
export { bitbucketDatacenterPlugin } from './bitbucket-datacenter-plugin.js';
