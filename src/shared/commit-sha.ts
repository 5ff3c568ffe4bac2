/**
 * A full commit id: 40 hex digits (SHA-1) or 64 (SHA-256 repositories). Forge payloads and answers are hostile input:
 * a commit id that is not one of these never reaches a deployer (a deployer may pass it to `git fetch`).
 */
export const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
