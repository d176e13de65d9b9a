/**
 * Home Assistant's MQTT discovery rules, as far as the desk's configs use them, written from
 * HA's documentation (MQTT integration: discovery, sensor, binary sensor, button) and the
 * validation its MQTT integration applies to a discovered config: every config the desk
 * publishes is run through `discoveryProblems`, and an empty list means HA takes it as meant.
 *
 * What HA does with a config that breaks them: a schema error is logged and the entity is not
 * made; a key it does not know is dropped without a word (its discovery schema removes extras),
 * so an unknown key here is a mistake that would go unnoticed there.
 */

/** Discovery topic: <prefix>/<component>/[<node_id>/]<object_id>/config, ids of A-Z a-z 0-9 _ -. */
const TOPIC = /^homeassistant\/([a-z_]+)\/(?:[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]+\/config$/;

/** Abbreviations HA expands before validating (those of the keys below). */
const ABBREVIATIONS: Record<string, string> = {
  avty: 'availability', avty_mode: 'availability_mode', avty_t: 'availability_topic', avty_tpl: 'availability_template',
  cmd_t: 'command_topic', cmd_tpl: 'command_template', dev: 'device', dev_cla: 'device_class', e: 'encoding',
  en: 'enabled_by_default', ent_cat: 'entity_category', ent_pic: 'entity_picture', exp_aft: 'expire_after',
  frc_upd: 'force_update', ic: 'icon', json_attr_t: 'json_attributes_topic', json_attr_tpl: 'json_attributes_template',
  lrst_val_tpl: 'last_reset_value_template', o: 'origin', obj_id: 'object_id', off_dly: 'off_delay', ops: 'options',
  pl_avail: 'payload_available', pl_not_avail: 'payload_not_available', pl_off: 'payload_off', pl_on: 'payload_on',
  pl_prs: 'payload_press', ret: 'retain', stat_cla: 'state_class', stat_t: 'state_topic',
  sug_dsp_prc: 'suggested_display_precision', uniq_id: 'unique_id', unit_of_meas: 'unit_of_measurement', val_tpl: 'value_template',
};
const DEVICE_ABBREVIATIONS: Record<string, string> = {
  cns: 'connections', cu: 'configuration_url', ids: 'identifiers', mf: 'manufacturer', mdl: 'model', mdl_id: 'model_id',
  hw: 'hw_version', sw: 'sw_version', sa: 'suggested_area', sn: 'serial_number',
};
const ORIGIN_ABBREVIATIONS: Record<string, string> = { sw: 'sw_version', url: 'support_url' };

/** Keys every MQTT entity takes. */
const COMMON = [
  'availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available', 'payload_not_available',
  'device', 'enabled_by_default', 'encoding', 'entity_category', 'entity_picture', 'icon', 'json_attributes_template',
  'json_attributes_topic', 'name', 'object_id', 'origin', 'qos', 'unique_id',
];
const COMPONENT_KEYS: Record<string, { required: string[]; keys: string[] }> = {
  sensor: {
    required: ['state_topic'],
    keys: ['state_topic', 'value_template', 'device_class', 'state_class', 'unit_of_measurement', 'expire_after', 'force_update',
      'last_reset_value_template', 'options', 'suggested_display_precision'],
  },
  binary_sensor: {
    required: ['state_topic'],
    keys: ['state_topic', 'value_template', 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_on', 'payload_off'],
  },
  // HA's docs list command_topic as optional, but a button without one has nowhere to press.
  button: { required: ['command_topic'], keys: ['command_topic', 'command_template', 'payload_press', 'retain', 'device_class'] },
};
const DEVICE_KEYS = ['connections', 'configuration_url', 'identifiers', 'manufacturer', 'model', 'model_id', 'hw_version', 'sw_version', 'suggested_area', 'serial_number', 'name', 'via_device'];
const ORIGIN_KEYS = ['name', 'sw_version', 'support_url'];

/** Sensor device classes the desk uses: the units HA accepts for each, and the state classes. */
const SENSOR_CLASSES: Record<string, { units: string[]; stateClasses: string[] }> = {
  power: { units: ['mW', 'W', 'kW', 'MW', 'GW', 'TW', 'BTU/h'], stateClasses: ['measurement'] },
  energy: { units: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'], stateClasses: ['total', 'total_increasing'] },
  enum: { units: [], stateClasses: [] },
};
const STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'];
const BINARY_SENSOR_CLASSES = ['connectivity', 'problem', 'running', 'power', 'plug', 'update'];
const BUTTON_CLASSES = ['identify', 'restart', 'update'];
const ENTITY_CATEGORIES: Record<string, string[]> = { sensor: ['diagnostic'], binary_sensor: ['diagnostic'], button: ['config', 'diagnostic'] };

type Json = Record<string, unknown>;

/** Abbreviated keys spelled out, as HA does; a key given both ways is a problem. */
function expand(block: Json, table: Record<string, string>, where: string, problems: string[]): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(block)) {
    const full = table[key] ?? key;
    if (full in out) problems.push(`${where}${full} given twice (abbreviated and in full)`);
    out[full] = value;
  }
  return out;
}

const isObject = (x: unknown): x is Json => x !== null && typeof x === 'object' && !Array.isArray(x);
const isTopic = (x: unknown) => typeof x === 'string' && x.length > 0 && !/[+#]/.test(x);

/** What HA would refuse or silently drop in one retained discovery message; [] when it takes it as meant. */
export function discoveryProblems(topic: string, payload: string): string[] {
  const problems: string[] = [];
  const component = TOPIC.exec(topic)?.[1];
  if (!component) return [`${topic}: not a discovery topic`];
  const rules = COMPONENT_KEYS[component];
  if (!rules) return [`${topic}: component ${component} is not one the rules know`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return [`${topic}: not JSON`];
  }
  if (!isObject(parsed)) return [`${topic}: not a JSON object`];
  const c = expand(parsed, ABBREVIATIONS, '', problems);
  const allowed = new Set([...COMMON, ...rules.keys]);
  for (const key of Object.keys(c)) if (!allowed.has(key)) problems.push(`unknown key ${key} (HA drops it)`);
  for (const key of rules.required) if (!isTopic(c[key])) problems.push(`${key} missing or not a topic`);
  for (const key of ['state_topic', 'command_topic', 'availability_topic', 'json_attributes_topic']) {
    if (key in c && !isTopic(c[key])) problems.push(`${key} is not a topic`);
  }
  if ('availability' in c && 'availability_topic' in c) problems.push('availability and availability_topic together');
  if ('qos' in c && ![0, 1, 2].includes(c.qos as number)) problems.push('qos is not 0, 1 or 2');
  if ('entity_category' in c && !ENTITY_CATEGORIES[component]!.includes(String(c.entity_category))) problems.push(`entity_category ${String(c.entity_category)} is not for a ${component}`);
  if ('name' in c && c.name !== null && typeof c.name !== 'string') problems.push('name is not a string');

  if ('device' in c) {
    if (!isObject(c.device)) {
      problems.push('device is not an object');
    } else {
      const device = expand(c.device, DEVICE_ABBREVIATIONS, 'device.', problems);
      for (const key of Object.keys(device)) if (!DEVICE_KEYS.includes(key)) problems.push(`unknown key device.${key}`);
      const ids = device.identifiers;
      const hasIds = (typeof ids === 'string' && ids.length > 0) || (Array.isArray(ids) && ids.length > 0 && ids.every((x) => typeof x === 'string' && x.length > 0));
      const cns = device.connections;
      const hasCns = Array.isArray(cns) && cns.length > 0 && cns.every((x) => Array.isArray(x) && x.length === 2);
      if (!hasIds && !hasCns) problems.push('device needs identifiers or connections');
      if ('configuration_url' in device && !/^https?:\/\//.test(String(device.configuration_url))) problems.push('device.configuration_url is not an HTTP(S) URL');
      if (typeof c.unique_id !== 'string' || c.unique_id.length === 0) problems.push('unique_id is required with a device');
    }
  }
  if ('origin' in c) {
    if (!isObject(c.origin)) {
      problems.push('origin is not an object');
    } else {
      const origin = expand(c.origin, ORIGIN_ABBREVIATIONS, 'origin.', problems);
      for (const key of Object.keys(origin)) if (!ORIGIN_KEYS.includes(key)) problems.push(`unknown key origin.${key}`);
      if (typeof origin.name !== 'string' || origin.name.length === 0) problems.push('origin.name is required');
    }
  }

  if (component === 'sensor') sensorProblems(c, problems);
  if (component === 'binary_sensor' && 'device_class' in c && !BINARY_SENSOR_CLASSES.includes(String(c.device_class))) problems.push(`binary_sensor device_class ${String(c.device_class)} unknown`);
  if (component === 'button') {
    if ('device_class' in c && !BUTTON_CLASSES.includes(String(c.device_class))) problems.push(`button device_class ${String(c.device_class)} unknown`);
    if ('payload_press' in c && typeof c.payload_press !== 'string') problems.push('payload_press is not a string');
  }
  return problems.map((p) => `${topic}: ${p}`);
}

function sensorProblems(c: Json, problems: string[]): void {
  const deviceClass = c.device_class as string | undefined;
  const stateClass = c.state_class as string | undefined;
  const unit = c.unit_of_measurement as string | undefined;
  if (stateClass !== undefined && !STATE_CLASSES.includes(stateClass)) problems.push(`state_class ${stateClass} unknown`);
  if ('options' in c) {
    if (!Array.isArray(c.options) || c.options.length === 0) problems.push('options must be a non-empty list');
    if (stateClass !== undefined || unit !== undefined) problems.push('options with a state_class or unit_of_measurement');
    if (deviceClass !== 'enum') problems.push('options without device_class enum');
  }
  if ('last_reset_value_template' in c && stateClass !== 'total') problems.push('last_reset_value_template needs state_class total');
  if ('expire_after' in c && !(Number.isInteger(c.expire_after) && (c.expire_after as number) >= 0)) problems.push('expire_after is not a non-negative integer');
  if ('suggested_display_precision' in c && !(Number.isInteger(c.suggested_display_precision) && (c.suggested_display_precision as number) >= 0)) problems.push('suggested_display_precision is not a non-negative integer');
  if (deviceClass === undefined) return;
  const rule = SENSOR_CLASSES[deviceClass];
  if (!rule) return void problems.push(`sensor device_class ${deviceClass} is not one the rules know`);
  if (deviceClass === 'enum' && !Array.isArray(c.options)) problems.push('an enum sensor lists its options');
  if (unit !== undefined ? !rule.units.includes(unit) : rule.units.length > 0) problems.push(`unit ${unit ?? '(none)'} is not one HA takes for ${deviceClass}`);
  if (stateClass !== undefined && !rule.stateClasses.includes(stateClass)) problems.push(`state_class ${stateClass} is not one HA takes for ${deviceClass}`);
}
