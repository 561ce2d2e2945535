/** Zendesk Support's JSON shapes for tickets, users and organizations, as its API returns them. */

import { fakePerson, type Random } from '../kit/random.ts';
import { zendeskTime } from './time.ts';

export type ZendeskObject = Record<string, unknown>;

export const TICKET_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const TICKET_TYPES = ['problem', 'incident', 'question', 'task'] as const;

const SUBJECTS = ['Printer is on fire', 'Cannot log in', 'Refund for order', 'Invoice is wrong', 'Feature request: dark mode', 'App crashes on start', 'Password reset mail never arrives', 'Shipping address change'];
const TAGS = ['vip', 'billing', 'bug', 'enterprise', 'mobile', 'urgent_followup', 'feedback'];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Tyrell'];

export function pickTags(random: Random): string[] {
  return [...new Set(Array.from({ length: random.int(0, 3) }, () => random.pick(TAGS)))].sort();
}

export interface Site {
  /** `https://<subdomain>.zendesk.com` or the emulator's own address: the base of every `url`. */
  baseUrl: string;
}

export function organization(site: Site, id: number, at: number, random: Random, input: ZendeskObject = {}): ZendeskObject {
  const name = typeof input.name === 'string' ? input.name : `${random.pick(COMPANIES)} ${random.string(3, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')}`;
  return {
    url: `${site.baseUrl}/api/v2/organizations/${id}.json`,
    id,
    name,
    shared_tickets: false,
    shared_comments: false,
    external_id: null,
    created_at: zendeskTime(at),
    updated_at: zendeskTime(at),
    domain_names: [`${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.com`],
    details: null,
    notes: null,
    group_id: null,
    tags: pickTags(random),
    organization_fields: {},
  };
}

export function user(site: Site, id: number, at: number, random: Random, organizationId: number | null): ZendeskObject {
  const person = fakePerson(random);
  const role = random.chance(0.1) ? 'agent' : 'end-user';
  return {
    id,
    url: `${site.baseUrl}/api/v2/users/${id}.json`,
    name: person.name,
    email: person.email,
    created_at: zendeskTime(at),
    updated_at: zendeskTime(at),
    time_zone: 'Eastern Time (US & Canada)',
    iana_time_zone: 'America/New_York',
    phone: person.phone,
    shared_phone_number: false,
    photo: null,
    locale_id: 1,
    locale: 'en-US',
    organization_id: organizationId,
    role,
    verified: true,
    external_id: null,
    tags: pickTags(random),
    alias: null,
    active: true,
    shared: false,
    shared_agent: false,
    last_login_at: null,
    two_factor_auth_enabled: false,
    signature: null,
    details: null,
    notes: null,
    role_type: null,
    custom_role_id: null,
    moderator: role === 'agent',
    ticket_restriction: role === 'agent' ? null : 'requested',
    only_private_comments: false,
    restricted_agent: role !== 'agent',
    suspended: false,
    default_group_id: null,
    report_csv: false,
    user_fields: {},
  };
}

export interface TicketParties {
  requesterId: number | null;
  organizationId: number | null;
  assigneeId: number | null;
}

/** A ticket; `input` holds the writable fields of a create (the first comment's body is its description). */
export function ticket(site: Site, id: number, at: number, random: Random, parties: TicketParties, input: ZendeskObject = {}): ZendeskObject {
  const subject = typeof input.subject === 'string' ? input.subject : random.pick(SUBJECTS);
  const base: ZendeskObject = {
    url: `${site.baseUrl}/api/v2/tickets/${id}.json`,
    id,
    external_id: null,
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: zendeskTime(at),
    updated_at: zendeskTime(at),
    generated_timestamp: at,
    type: random.pick(TICKET_TYPES),
    subject,
    raw_subject: subject,
    description: `${subject}. Please help.`,
    priority: random.pick(TICKET_PRIORITIES),
    status: 'new',
    recipient: null,
    requester_id: parties.requesterId,
    submitter_id: parties.requesterId,
    assignee_id: parties.assigneeId,
    organization_id: parties.organizationId,
    group_id: null,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    forum_topic_id: null,
    problem_id: null,
    has_incidents: false,
    is_public: true,
    due_at: null,
    tags: pickTags(random),
    custom_fields: [],
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    custom_status_id: null,
    fields: [],
    followup_ids: [],
    ticket_form_id: null,
    brand_id: 360000000001,
    allow_channelback: false,
    allow_attachments: true,
    from_messaging_channel: false,
  };
  return { ...base, ...writable(input), raw_subject: typeof input.subject === 'string' ? input.subject : base.raw_subject };
}

/** Fields of a ticket create or update that are written as given. */
export const WRITABLE_TICKET_FIELDS = ['subject', 'status', 'priority', 'type', 'tags', 'requester_id', 'submitter_id', 'assignee_id', 'organization_id', 'group_id', 'external_id', 'due_at', 'custom_fields', 'collaborator_ids', 'problem_id', 'brand_id', 'ticket_form_id'];

export function writable(input: ZendeskObject): ZendeskObject {
  return Object.fromEntries(Object.entries(input).filter(([key]) => WRITABLE_TICKET_FIELDS.includes(key)));
}
