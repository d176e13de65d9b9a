/** Topic-filter matching for the retained-message query, which runs it as a SQL function. */

export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1]: a filter starting with a wildcard must not match a topic starting with '$'.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    // '#' also matches its parent level: 'a/#' matches 'a'.
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/**
 * A GLOB pattern selecting every topic that starts with the filter's literal levels. SQLite turns
 * a GLOB with a literal prefix into a range scan of the primary key, so a subscription to one
 * board's subtree reads that subtree and not the whole desk.
 */
export function literalPrefixGlob(filter: string): string {
  const literal: string[] = [];
  for (const level of filter.split('/')) {
    if (level === '+' || level === '#') break;
    literal.push(level);
  }
  return `${literal.join('/').replace(/[*?[]/g, '[$&]')}*`;
}
