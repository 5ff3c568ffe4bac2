// The module dependency rule (ADR 0017), run by `npm run lint`. Paths are resolved the way TypeScript resolves them,
// so `../x.js` finds `x.ts`, and type-only imports count: a type borrowed from another module is a dependency too.

// Modules in dependency order: each may import only modules listed before it, so no two modules can import each
// other, directly or through a third (a cycle needs an edge that points forward in this list).
const MODULES = ['identity', 'git-providers', 'service-sources', 'webhooks', 'event-subscriptions'];

const layering = MODULES.map((name, index) => ({
  name: `module-order-${name}`,
  severity: 'error',
  comment: `${name} may import only the modules before it: ${MODULES.slice(0, index).join(', ') || 'none'}`,
  from: { path: `^src/modules/${name}/` },
  to: { path: `^src/modules/(${MODULES.filter((_, i) => i !== index && i >= index).join('|') || '^$'})/` },
}));

/* global module */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layering,
    {
      name: 'module-unknown',
      severity: 'error',
      comment: 'A new module goes into MODULES in .dependency-cruiser.cjs, in dependency order.',
      from: { path: '^src/' },
      to: { path: '^src/modules/', pathNot: `^src/modules/(${MODULES.join('|')})/` },
    },
    {
      name: 'platform-below-modules',
      severity: 'error',
      comment: 'platform/ holds the adapters every module shares; it never imports a module or a forge plug-in.',
      from: { path: '^src/platform/' },
      to: { path: '^src/(modules|forges)/' },
    },
    {
      name: 'shared-is-the-kernel',
      severity: 'error',
      comment: 'shared/ imports nothing of modules, forges or platform.',
      from: { path: '^src/shared/' },
      to: { path: '^src/(modules|forges|platform)/' },
    },
    {
      name: 'modules-not-to-forges',
      severity: 'error',
      comment: 'Forges are plug-ins that implement module ports; the composition root (src/app.ts) binds them.',
      from: { path: '^src/modules/' },
      to: { path: '^src/forges/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No file imports itself through others at run time (type-only cycles are erased by the compiler).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
