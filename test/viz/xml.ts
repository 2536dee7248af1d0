// Parses SVG and HTML output with a real XML parser (fast-xml-parser) into a small element tree for the tests.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its descendants'). */
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  htmlEntities: true,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
});

type Node = Record<string, unknown>;

function convert(node: Node): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined || name === '#text') return null;
  const childNodes = node[name] as Node[];
  const children: XmlElement[] = [];
  let text = '';
  for (const child of childNodes) {
    if ('#text' in child) text += String(child['#text']);
    else {
      const element = convert(child);
      if (element) children.push(element);
    }
  }
  return { name, attributes: (node[':@'] as Record<string, string>) ?? {}, children, text };
}

/** Parses a document, failing with the validator's message when it is not well-formed XML. */
export function parseXml(xml: string): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const roots = (parser.parse(xml) as Node[]).map(convert).filter((e): e is XmlElement => e !== null);
  if (roots.length !== 1) throw new Error(`expected one root element, got ${roots.length}`);
  return roots[0]!;
}

/** Every descendant (and the element itself) named `name`, in document order. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (e: XmlElement) => {
    if (e.name === name) found.push(e);
    e.children.forEach(visit);
  };
  visit(root);
  return found;
}

/** Elements named `name` whose `class` attribute is `className`, and their descendants named `inner`. */
export function inGroup(root: XmlElement, className: string, inner: string): XmlElement[] {
  return findAll(root, 'g')
    .filter((g) => g.attributes.class === className)
    .flatMap((g) => findAll(g, inner));
}

/** Relative luminance of a `#rrggbb` colour. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const s = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}
