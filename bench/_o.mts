import { benchOverhead } from './overhead.js';
import { formatReport } from './run.js';
console.log(formatReport(await benchOverhead({ iterations: Number(process.env.N ?? 300) })));
