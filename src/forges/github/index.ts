export { type GitHubDeps, gitHubApiBase } from './github-transport.js';
export { type GitHubConnection, createGitHubApi } from './github-api.js';
export {
  type AppManifestInput,
  type ConvertedApp,
  buildAppManifest,
  convertManifest,
  describeApp,
  installUrl,
  isInstallationOfApp,
  manifestPostUrl,
} from './github-manifest.js';
