// USB standard descriptors (USB 2.0 specification, chapter 9.6): the bytes a device answers to GET_DESCRIPTOR,
// built from a UsbFunction's descriptor (what an emulated device or our USB/IP server sends), and parsed back
// (what the USB/IP client reads from any device, ours or one exported by a Linux usbipd). Multi-byte fields
// are little-endian (USB 2.0 §8.1). The parsed form, UsbDeviceLayout, is what a W3C USBDevice shows:
// configurations → interfaces → alternate settings → endpoints.
import type { UsbDeviceDescriptor } from './usb-function';

export const DESCRIPTOR_DEVICE = 1;
export const DESCRIPTOR_CONFIGURATION = 2;
export const DESCRIPTOR_STRING = 3;
export const DESCRIPTOR_INTERFACE = 4;
export const DESCRIPTOR_ENDPOINT = 5;

/** LANGID of US English, the one language our string descriptors are in. */
const LANGID_EN_US = 0x0409;
/** String indexes in our device descriptor (0 = no string). */
const STRING_MANUFACTURER = 1;
const STRING_PRODUCT = 2;
const STRING_SERIAL = 3;

export interface UsbEndpointLayout {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous';
  packetSize: number;
  /** bInterval as the descriptor has it (a USB/IP client needs it for interrupt URBs); absent when unknown. */
  interval?: number;
}

export interface UsbAlternateLayout {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  interfaceName: string | null;
  endpoints: UsbEndpointLayout[];
}

export interface UsbInterfaceLayout {
  interfaceNumber: number;
  alternates: UsbAlternateLayout[];
}

export interface UsbConfigurationLayout {
  configurationValue: number;
  configurationName: string | null;
  interfaces: UsbInterfaceLayout[];
}

/** Everything a W3C USBDevice tells about a device before it is opened. */
export interface UsbDeviceLayout {
  usbVersion: { major: number; minor: number; subminor: number };
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  vendorId: number;
  productId: number;
  deviceVersion: { major: number; minor: number; subminor: number };
  manufacturerName: string | null;
  productName: string | null;
  serialNumber: string | null;
  configurations: UsbConfigurationLayout[];
}

const isByte = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xff;
const isWord = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;

/**
 * Checks a UsbFunction's descriptor, so that a simulator with a typo fails at start with a readable message
 * instead of serving descriptors a host would reject.
 */
export function checkFunctionDescriptor(d: UsbDeviceDescriptor): void {
  const where = `USB device ${hex4(d.vendorId)}:${hex4(d.productId)}`;
  if (!isWord(d.vendorId) || !isWord(d.productId)) throw new Error(`${where}: vendor and product ids must be 0..0xffff`);
  for (const [name, v] of Object.entries(d.deviceVersion)) {
    const max = name === 'major' ? 0xff : 0xf;
    if (!Number.isInteger(v) || v < 0 || v > max) throw new Error(`${where}: deviceVersion.${name} ${v} is out of range 0..${max}`);
  }
  for (const [name, v] of [['deviceClass', d.deviceClass], ['deviceSubclass', d.deviceSubclass], ['deviceProtocol', d.deviceProtocol]] as const) {
    if (!isByte(v)) throw new Error(`${where}: ${name} ${v} is not a byte`);
  }
  for (const [name, s] of [['manufacturerName', d.manufacturerName], ['productName', d.productName], ['serialNumber', d.serialNumber]] as const) {
    if (s.length > 126) throw new Error(`${where}: ${name} is longer than the 126 characters a string descriptor holds`);
  }
  if (d.interfaces.length === 0) throw new Error(`${where}: a device needs at least one interface`);
  const interfaceNumbers = new Set<number>();
  const endpoints = new Set<string>();
  for (const itf of d.interfaces) {
    if (!isByte(itf.number) || interfaceNumbers.has(itf.number)) throw new Error(`${where}: interface number ${itf.number} is not a byte or is used twice`);
    interfaceNumbers.add(itf.number);
    for (const [name, v] of [['interfaceClass', itf.interfaceClass], ['interfaceSubclass', itf.interfaceSubclass], ['interfaceProtocol', itf.interfaceProtocol]] as const) {
      if (!isByte(v)) throw new Error(`${where}: interface ${itf.number} ${name} ${v} is not a byte`);
    }
    for (const ep of itf.endpoints) {
      const label = `${ep.direction}(${ep.number})`;
      if (!Number.isInteger(ep.number) || ep.number < 1 || ep.number > 15) throw new Error(`${where}: endpoint ${label}: the number must be 1..15`);
      if (endpoints.has(label)) throw new Error(`${where}: endpoint ${label} is declared twice`);
      endpoints.add(label);
      if (!Number.isInteger(ep.packetSize) || ep.packetSize < 1 || ep.packetSize > 1024) throw new Error(`${where}: endpoint ${label}: packet size ${ep.packetSize} is not 1..1024`);
    }
  }
}

/** The layout of a UsbFunction: one configuration (value 1), one alternate setting (0) per interface. */
export function layoutOfFunction(d: UsbDeviceDescriptor): UsbDeviceLayout {
  return {
    usbVersion: { major: 2, minor: 0, subminor: 0 },
    deviceClass: d.deviceClass,
    deviceSubclass: d.deviceSubclass,
    deviceProtocol: d.deviceProtocol,
    vendorId: d.vendorId,
    productId: d.productId,
    deviceVersion: { ...d.deviceVersion },
    manufacturerName: d.manufacturerName || null,
    productName: d.productName || null,
    serialNumber: d.serialNumber || null,
    configurations: [
      {
        configurationValue: 1,
        configurationName: null,
        interfaces: d.interfaces.map((itf) => ({
          interfaceNumber: itf.number,
          alternates: [
            {
              alternateSetting: 0,
              interfaceClass: itf.interfaceClass,
              interfaceSubclass: itf.interfaceSubclass,
              interfaceProtocol: itf.interfaceProtocol,
              interfaceName: null,
              endpoints: itf.endpoints.map((ep) => ({ endpointNumber: ep.number, direction: ep.direction, type: ep.type, packetSize: ep.packetSize })),
            },
          ],
        })),
      },
    ],
  };
}

/** bcdDevice from its parts (W3C deviceVersionMajor / Minor / Subminor). */
export const bcdOf = (v: { major: number; minor: number; subminor: number }): number => ((v.major & 0xff) << 8) | ((v.minor & 0xf) << 4) | (v.subminor & 0xf);

/** The 18-byte device descriptor (USB 2.0 Table 9-8). */
export function deviceDescriptorBytes(d: UsbDeviceDescriptor): Uint8Array {
  const b = new Uint8Array(18);
  const v = new DataView(b.buffer);
  b[0] = 18;
  b[1] = DESCRIPTOR_DEVICE;
  v.setUint16(2, 0x0200, true); // bcdUSB 2.0, also usual for full-speed devices
  b[4] = d.deviceClass;
  b[5] = d.deviceSubclass;
  b[6] = d.deviceProtocol;
  b[7] = 64; // bMaxPacketSize0
  v.setUint16(8, d.vendorId, true);
  v.setUint16(10, d.productId, true);
  v.setUint16(12, bcdOf(d.deviceVersion), true);
  b[14] = d.manufacturerName ? STRING_MANUFACTURER : 0;
  b[15] = d.productName ? STRING_PRODUCT : 0;
  b[16] = d.serialNumber ? STRING_SERIAL : 0;
  b[17] = 1; // bNumConfigurations
  return b;
}

/** The configuration descriptor with its interface and endpoint descriptors (USB 2.0 Tables 9-10, 9-12, 9-13). */
export function configurationDescriptorBytes(d: UsbDeviceDescriptor): Uint8Array {
  const total = 9 + d.interfaces.reduce((n, itf) => n + 9 + 7 * itf.endpoints.length, 0);
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b.set([9, DESCRIPTOR_CONFIGURATION, total & 0xff, total >> 8, d.interfaces.length, 1, 0, 0x80, 50]); // bus powered, 100 mA
  let at = 9;
  for (const itf of d.interfaces) {
    b.set([9, DESCRIPTOR_INTERFACE, itf.number, 0, itf.endpoints.length, itf.interfaceClass, itf.interfaceSubclass, itf.interfaceProtocol, 0], at);
    at += 9;
    for (const ep of itf.endpoints) {
      const interval = ep.type === 'interrupt' ? (d.speed === 'high' ? 4 : 1) : 0; // 1 ms either way
      b.set([7, DESCRIPTOR_ENDPOINT, ep.number | (ep.direction === 'in' ? 0x80 : 0), ep.type === 'bulk' ? 2 : 3], at);
      v.setUint16(at + 4, ep.packetSize, true);
      b[at + 6] = interval;
      at += 7;
    }
  }
  return b;
}

/** String descriptor `index` (0: the LANGID list), or null when the device has no such string. */
export function stringDescriptorBytes(d: UsbDeviceDescriptor, index: number): Uint8Array | null {
  if (index === 0) return Uint8Array.of(4, DESCRIPTOR_STRING, LANGID_EN_US & 0xff, LANGID_EN_US >> 8);
  const text = index === STRING_MANUFACTURER ? d.manufacturerName : index === STRING_PRODUCT ? d.productName : index === STRING_SERIAL ? d.serialNumber : '';
  if (!text) return null;
  const b = new Uint8Array(2 + 2 * text.length);
  b[0] = b.length;
  b[1] = DESCRIPTOR_STRING;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    b[2 + 2 * i] = code & 0xff;
    b[3 + 2 * i] = code >> 8;
  }
  return b;
}

/** The fields of a device descriptor that the layout needs, with its string indexes. */
export interface ParsedDeviceDescriptor {
  usbVersion: { major: number; minor: number; subminor: number };
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  maxPacketSize0: number;
  vendorId: number;
  productId: number;
  deviceVersion: { major: number; minor: number; subminor: number };
  manufacturerIndex: number;
  productIndex: number;
  serialNumberIndex: number;
  numConfigurations: number;
}

const bcdParts = (bcd: number) => ({ major: bcd >> 8, minor: (bcd >> 4) & 0xf, subminor: bcd & 0xf });

export function parseDeviceDescriptor(b: Uint8Array): ParsedDeviceDescriptor {
  if (b.length < 18 || b[0]! < 18 || b[1] !== DESCRIPTOR_DEVICE) {
    throw new Error(`not a USB device descriptor (${b.length} bytes, bLength ${b[0] ?? '-'}, bDescriptorType ${b[1] ?? '-'})`);
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    usbVersion: bcdParts(v.getUint16(2, true)),
    deviceClass: b[4]!,
    deviceSubclass: b[5]!,
    deviceProtocol: b[6]!,
    maxPacketSize0: b[7]!,
    vendorId: v.getUint16(8, true),
    productId: v.getUint16(10, true),
    deviceVersion: bcdParts(v.getUint16(12, true)),
    manufacturerIndex: b[14]!,
    productIndex: b[15]!,
    serialNumberIndex: b[16]!,
    numConfigurations: b[17]!,
  };
}

/** A configuration descriptor and what follows it, with the string indexes of its names still to resolve. */
export interface ParsedConfiguration {
  layout: UsbConfigurationLayout;
  configurationNameIndex: number;
  /** interfaceNumber → alternateSetting → iInterface */
  interfaceNameIndexes: Map<string, number>;
}

/** Total length (wTotalLength) announced by the first 9 bytes of a configuration descriptor. */
export function configurationTotalLength(head: Uint8Array): number {
  if (head.length < 4 || head[1] !== DESCRIPTOR_CONFIGURATION) throw new Error('not a USB configuration descriptor');
  return head[2]! | (head[3]! << 8);
}

/**
 * Walks a full configuration descriptor. Class-specific descriptors in between (USBTMC has none, CDC and
 * audio have many) are skipped; endpoints belong to the interface descriptor before them.
 */
export function parseConfigurationDescriptor(b: Uint8Array): ParsedConfiguration {
  if (b.length < 9 || b[1] !== DESCRIPTOR_CONFIGURATION) throw new Error(`not a USB configuration descriptor (${b.length} bytes)`);
  const layout: UsbConfigurationLayout = { configurationValue: b[5]!, configurationName: null, interfaces: [] };
  const interfaceNameIndexes = new Map<string, number>();
  let alternate: UsbAlternateLayout | null = null;
  let at = b[0]!;
  while (at + 2 <= b.length) {
    const length = b[at]!;
    const type = b[at + 1]!;
    if (length < 2 || at + length > b.length) throw new Error(`USB configuration descriptor: a descriptor at byte ${at} has a bad length ${length}`);
    if (type === DESCRIPTOR_INTERFACE && length >= 9) {
      const number = b[at + 2]!;
      let itf = layout.interfaces.find((i) => i.interfaceNumber === number);
      if (!itf) layout.interfaces.push((itf = { interfaceNumber: number, alternates: [] }));
      alternate = { alternateSetting: b[at + 3]!, interfaceClass: b[at + 5]!, interfaceSubclass: b[at + 6]!, interfaceProtocol: b[at + 7]!, interfaceName: null, endpoints: [] };
      itf.alternates.push(alternate);
      interfaceNameIndexes.set(`${number}/${alternate.alternateSetting}`, b[at + 8]!);
    } else if (type === DESCRIPTOR_ENDPOINT && length >= 7 && alternate) {
      const address = b[at + 2]!;
      const transfer = b[at + 3]! & 3;
      if (transfer !== 0) {
        alternate.endpoints.push({
          endpointNumber: address & 0x0f,
          direction: address & 0x80 ? 'in' : 'out',
          type: transfer === 1 ? 'isochronous' : transfer === 2 ? 'bulk' : 'interrupt',
          packetSize: (b[at + 4]! | (b[at + 5]! << 8)) & 0x7ff,
          interval: b[at + 6]!,
        });
      }
    }
    at += length;
  }
  return { layout, configurationNameIndex: b[6]!, interfaceNameIndexes };
}

/** The LANGIDs of string descriptor 0. */
export function parseLanguageIds(b: Uint8Array): number[] {
  if (b.length < 2 || b[1] !== DESCRIPTOR_STRING) throw new Error('not a USB string descriptor');
  const ids: number[] = [];
  for (let i = 2; i + 1 < Math.min(b[0]!, b.length); i += 2) ids.push(b[i]! | (b[i + 1]! << 8));
  return ids;
}

/** The UTF-16LE text of a string descriptor. */
export function parseStringDescriptor(b: Uint8Array): string {
  if (b.length < 2 || b[1] !== DESCRIPTOR_STRING) throw new Error('not a USB string descriptor');
  let text = '';
  for (let i = 2; i + 1 < Math.min(b[0]!, b.length); i += 2) text += String.fromCharCode(b[i]! | (b[i + 1]! << 8));
  return text;
}

export const hex4 = (n: number) => n.toString(16).padStart(4, '0');
