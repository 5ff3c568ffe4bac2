/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (what `/metrics` serves): every sample must
 * belong to a family declared by `# TYPE`, names and labels must be well-formed, values must be numbers. Anything
 * else throws, so a malformed scrape fails the test instead of being half read.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string;
}

export interface Scrape {
  readonly families: ReadonlyMap<string, Family>;
  readonly samples: readonly Sample[];
  /** The one sample with this name whose labels include `labels`; undefined when none; throws when several. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of this name whose labels include `labels`. */
  all(name: string, labels?: Record<string, string>): Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<Family['type'], readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Scrape {
  const families = new Map<string, Family & { help: string }>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      const [, name, help = ''] = /^# HELP (\S+) ?(.*)$/.exec(line) ?? [];
      if (!name || !NAME.test(name)) throw new Error(`bad HELP, ${where}`);
      helps.set(name, help);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      if (!name || !type || !NAME.test(name)) throw new Error(`bad TYPE, ${where}`);
      if (families.has(name)) throw new Error(`TYPE declared twice, ${where}`);
      families.set(name, { type: type as Family['type'], help: helps.get(name) ?? '' });
      return;
    }
    if (line.startsWith('#')) return;
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families);
    if (!family) throw new Error(`sample without a TYPE-declared family, ${where}`);
    if (family.type === 'histogram' && sample.name.endsWith('_bucket') && sample.labels.le === undefined)
      throw new Error(`bucket without le, ${where}`);
    samples.push(sample);
  });
  const matches = (sample: Sample, name: string, labels: Record<string, string>): boolean =>
    sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
  return {
    families,
    samples,
    all: (name, labels = {}) => samples.filter((s) => matches(s, name, labels)),
    value(name, labels = {}) {
      const found = samples.filter((s) => matches(s, name, labels));
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  for (const [name, family] of families) {
    if (SUFFIXES[family.type].some((suffix) => sampleName === name + suffix)) return family;
  }
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`bad sample, ${where}`);
  const name = line.slice(0, nameEnd);
  if (!NAME.test(name)) throw new Error(`bad metric name, ${where}`);
  const labels: Record<string, string> = {};
  let i = nameEnd;
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0) throw new Error(`bad label, ${where}`);
      const label = line.slice(i, eq);
      if (!LABEL.test(label) || label in labels) throw new Error(`bad or repeated label name "${label}", ${where}`);
      if (line[eq + 1] !== '"') throw new Error(`unquoted label value, ${where}`);
      let value = '';
      let j = eq + 2;
      for (;;) {
        const c = line[j];
        if (c === undefined) throw new Error(`unterminated label value, ${where}`);
        if (c === '"') break;
        if (c === '\\') {
          const next = line[j + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`bad escape, ${where}`);
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      labels[label] = value;
      i = j + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`expected , or } after a label, ${where}`);
    }
    i++;
  }
  const rest = line.slice(i).trim().split(' ');
  if (line[i] !== ' ' || rest.length < 1 || rest.length > 2) throw new Error(`bad value, ${where}`);
  const raw = rest[0] ?? '';
  // Prometheus reads values with Go's ParseFloat: NaN and ±Inf in any case (prom-client writes `Nan`).
  const special = /^nan$/i.test(raw) ? NaN : /^[+-]?inf(inity)?$/i.test(raw) ? (raw.startsWith('-') ? -Infinity : Infinity) : undefined;
  const value = special ?? (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN);
  if (special === undefined && Number.isNaN(value)) throw new Error(`value is not a number, ${where}`);
  return { name, labels, value };
}
