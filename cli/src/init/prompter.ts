import { createInterface, type Interface } from 'node:readline/promises';
import { CliError } from '../errors.js';

/** Questions `berth init` asks on a terminal; tests answer them through an injected stream. */
export interface Prompter {
  /**
   * Asks until `check` accepts the answer (it returns an error line to show, or undefined); an empty
   * answer takes `fallback` when there is one.
   */
  ask(question: string, check: (answer: string) => string | undefined, fallback?: string): Promise<string>;
  /** A yes/no question; no unless the answer starts with y. */
  confirm(question: string): Promise<boolean>;
  close(): void;
}

export function readlinePrompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompter {
  const rl: Interface = createInterface({ input, output });
  // Input that ends mid-dialogue (Ctrl-D, a closed pipe) leaves a question unanswered: say so, once.
  const ended = () =>
    new CliError('input ended before every question was answered: run again, or use --yes and flags');
  let isClosed = false;
  const closed = new Promise<never>((_, reject) =>
    rl.once('close', () => {
      isClosed = true;
      reject(ended());
    }),
  );
  closed.catch(() => {});
  const line = async (question: string) => {
    if (isClosed) throw ended();
    return (await Promise.race([rl.question(question), closed])).trim();
  };
  return {
    async ask(question, check, fallback) {
      const prompt = fallback === undefined ? `${question}: ` : `${question} [${fallback}]: `;
      for (;;) {
        const answer = (await line(prompt)) || fallback || '';
        const problem = check(answer);
        if (problem === undefined) return answer;
        output.write(`${problem}\n`);
      }
    },
    async confirm(question) {
      return /^y/i.test(await line(`${question} [y/N]: `));
    },
    close: () => rl.close(),
  };
}
