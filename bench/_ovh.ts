import { benchOverhead } from './overhead.js';

const r = await benchOverhead({ iterations: 600, warmupIterations: 30 });
console.log(r.ours.overheadPerCallMs, r.theirs.overheadPerCallMs, r.ratio);
