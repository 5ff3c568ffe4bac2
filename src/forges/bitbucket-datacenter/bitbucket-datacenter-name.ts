/** The provider type (stored in git_provider.type, in the routes) and the name people know the forge by. */
export const BITBUCKET_DATACENTER = { type: 'bitbucket-datacenter', label: 'Bitbucket Data Center' } as const;
