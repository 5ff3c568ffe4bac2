export { createGiteaApi, forgetGiteaPageCaps, type GiteaConnection } from './gitea-api.js';
export { createGiteaOAuth } from './gitea-oauth.js';
