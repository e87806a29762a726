/** The names toOnnx gives the graph's ends, and the domain of this library's model-local functions. */
export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'logits';
export const MILLEFEUILLE_DOMAIN = 'ai.millefeuille';
