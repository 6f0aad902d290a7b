import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KnowledgeBase } from '../agents/knowledge/search.js';

/** How customers ask, and the help article (file name) each should find first; several when either answers it. */
const QUESTIONS: Array<[string, string[]]> = [
  ['how do I change my plan', ['billing-and-plans']],
  ['what plans do you have?', ['billing-and-plans']],
  ['upgrade to the pro plan', ['billing-and-plans']],
  ['when will I be billed', ['billing-and-plans']],
  ['my card payment failed', ['billing-and-plans']],
  ['cancel my subscription', ['cancel-subscription']],
  ['turn off auto renewal', ['cancel-subscription']],
  ['stop my subscription from renewing', ['cancel-subscription']],
  ['is my annual plan refundable', ['billing-and-plans', 'cancel-subscription']],
  ['can I get my money back', ['returns-and-cancellations', 'billing-and-plans']],
  ['how do refunds work', ['returns-and-cancellations', 'billing-and-plans']],
  ['what is the return policy', ['returns-and-cancellations']],
  ['I want to return an item', ['returns-and-cancellations']],
  ['how long does shipping take', ['shipping-times']],
  ['do you ship to Canada', ['shipping-times']],
  ['where is my tracking number', ['shipping-times']],
  ['the app crashes when I log in', ['app-crashes-on-login']],
  ['I forgot my password', ['password-reset']],
  ["can't reset my password", ['password-reset']],
  ['my 2FA code is not working', ['two-factor-authentication']],
  ['notifications stopped working', ['notifications-not-arriving']],
  ["I don't get any notifications", ['notifications-not-arriving']],
  ['the app keeps logging me out', ['logged-out-repeatedly']],
  ['how do I export my data', ['export-account-data']],
  ['how do I delete my account', ['export-account-data']],
];

test('the help center finds the article a customer means, whatever words like "you", "have" or "can\'t" the question is wrapped in', () => {
  const kb = new KnowledgeBase();
  const misses = QUESTIONS.flatMap(([question, articles]) => {
    const found = kb.search(question)[0]?.id ?? 'nothing';
    return articles.includes(found) ? [] : [`${question} → ${found} (wanted ${articles.join(' or ')})`];
  });
  assert.deepEqual(misses, []);
});
