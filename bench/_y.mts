import { newThreadState, parseThreadState, threadStateSchema } from '../src/conversation/threadState.js';
const s = newThreadState('t', 'triage');
for (let i = 0; i < 6; i++) s.history.push(i % 2 ? { role: 'assistant', content: 'Thanks, noted: question ' + i, agent: 'triage' } : { role: 'user', content: 'bench question ' + i + ' from customer 12' });
s.lastAnswer = { message: 'm', status: 'answered', reply: 'x', agent: 'Triage' };
const text = JSON.stringify(s);
function time(name: string, fn: () => unknown, n = 20000) {
  for (let i = 0; i < 2000; i++) fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  console.log(name, ((performance.now() - t) * 1000 / n).toFixed(2), 'µs');
}
time('JSON.parse', () => JSON.parse(text));
time('JSON.stringify', () => JSON.stringify(s));
time('parseThreadState', () => parseThreadState(JSON.parse(text)));
time('structuredClone', () => structuredClone(s));
time('zod safeParse only', () => threadStateSchema.safeParse(s));
