/**
 * A strict enough well-formedness check for the markup the report writes: every tag closes in order,
 * attributes are quoted, and text holds no raw '<' or stray '&'. (Node has no DOMParser; the browser test
 * parses the real page.)
 */
export function assertWellFormed(markup: string): void {
  const stack: string[] = [];
  const voids = new Set(['meta', 'br', 'img', 'hr', 'link', 'input', 'col', 'wbr']);
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"<]*")?)*)\s*(\/?)>|<!--[\s\S]*?-->|<!doctype[^>]*>/gi;
  let last = 0;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(markup)) !== null) {
    checkText(markup.slice(last, match.index), stack);
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = match;
    if (name === undefined) continue; // comment or doctype
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}> at ${match.index}: …${markup.slice(Math.max(0, match.index - 80), match.index + 20)}`);
    } else if (!selfClosing && !voids.has(name.toLowerCase())) {
      stack.push(name);
    }
  }
  checkText(markup.slice(last), stack);
  if (stack.length > 0) throw new Error(`unclosed tags: ${stack.join(' > ')}`);
}

function checkText(text: string, stack: string[]): void {
  if (stack[stack.length - 1] === 'style' || stack[stack.length - 1] === 'script') return;
  if (text.includes('<')) throw new Error(`a raw '<' or malformed tag in text: ${text.slice(0, 120)}`);
  const amp = /&(?!(?:amp|lt|gt|quot|#39|#\d+|nbsp|times|ndash|mdash|middot|rarr|plusmn);)/.exec(text);
  if (amp) throw new Error(`an unescaped '&' in text: ${text.slice(Math.max(0, amp.index - 40), amp.index + 40)}`);
}

/** How many times a tag with the given class occurs ("<path class="series"" …). */
export function countTags(markup: string, tagName: string, className?: string): number {
  const re = className === undefined
    ? new RegExp(`<${tagName}[\\s>/]`, 'g')
    : new RegExp(`<${tagName}\\s[^>]*class="(?:[^"]*\\s)?${className}(?:\\s[^"]*)?"`, 'g');
  return (markup.match(re) ?? []).length;
}
