import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../support/prometheus-text.js';

/** The metrics tests lean on this parser: it must refuse what Prometheus would refuse, not skip it. */
describe('strict Prometheus text parser (test support)', () => {
  const good = [
    '# HELP x_total Things.',
    '# TYPE x_total counter',
    'x_total{a="1",b="q\\"uote\\\\"} 3',
    '# TYPE h histogram',
    'h_bucket{le="0.5"} 1',
    'h_bucket{le="+Inf"} 2',
    'h_sum 0.7',
    'h_count 2',
    '# TYPE g gauge',
    'g Nan',
    '',
  ].join('\n');

  it('reads families, labels (with escapes) and values', () => {
    const s = parsePrometheusText(good);
    expect(s.families.get('x_total')).toEqual({ type: 'counter', help: 'Things.' });
    expect(s.value('x_total', { b: 'q"uote\\' })).toBe(3);
    expect(s.value('h_bucket', { le: '+Inf' })).toBe(2);
    expect(s.value('g')).toBeNaN();
    expect(() => s.value('h_bucket')).toThrow(/2 samples/);
  });

  it.each([
    ['a sample of an undeclared family', 'y 1\n'],
    ['a value that is no number', '# TYPE x counter\nx one\n'],
    ['an unquoted label value', '# TYPE x counter\nx{a=1} 1\n'],
    ['a bad escape', '# TYPE x counter\nx{a="\\t"} 1\n'],
    ['a repeated label', '# TYPE x counter\nx{a="1",a="2"} 1\n'],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\n'],
    ['a missing final newline', '# TYPE x counter\nx 1'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
