// Drive hookline's organizations through @clerk/backend's Backend API client, as a Node backend would, and
// print what the client read back. stdin: {"api_url", "secret_key", "user_id", "other_user_id"}.
import { readFileSync } from "node:fs";
import { createClerkClient } from "@clerk/backend";

const { api_url, secret_key, user_id, other_user_id } = JSON.parse(readFileSync(0, "utf8"));
const clerk = createClerkClient({ secretKey: secret_key, apiUrl: api_url, telemetry: { disabled: true } });
const o = clerk.organizations;

const org = await o.createOrganization({ name: "Node Org", slug: "node-org", createdBy: user_id,
  publicMetadata: { tier: "gold" }, maxAllowedMemberships: 10 });
const bySlug = await o.getOrganization({ slug: "node-org", includeMembersCount: true });
const updated = await o.updateOrganization(org.id, { name: "Node Org 2", adminDeleteEnabled: false });
const merged = await o.updateOrganizationMetadata(org.id, { privateMetadata: { secret: 1 } });
const list = await o.getOrganizationList({ query: "node", orderBy: "-created_at", limit: 5 });
const member = await o.createOrganizationMembership({ organizationId: org.id, userId: other_user_id, role: "org:member" });
const promoted = await o.updateOrganizationMembership({ organizationId: org.id, userId: other_user_id, role: "org:admin" });
const members = await o.getOrganizationMembershipList({ organizationId: org.id, orderBy: "-created_at" });
const userMemberships = await clerk.users.getOrganizationMembershipList({ userId: other_user_id });
const invitation = await o.createOrganizationInvitation({ organizationId: org.id, emailAddress: "node@example.org",
  role: "org:member", inviterUserId: user_id });
const invitations = await o.getOrganizationInvitationList({ organizationId: org.id, status: ["pending"] });
const revoked = await o.revokeOrganizationInvitation({ organizationId: org.id, invitationId: invitation.id,
  requestingUserId: user_id });
const roles = await clerk.organizationRoles.getOrganizationRoleList({ orderBy: "key" });
const removed = await o.deleteOrganizationMembership({ organizationId: org.id, userId: other_user_id });
const deleted = await o.deleteOrganization(org.id);

console.log(JSON.stringify({
  created: { id: org.id, name: org.name, slug: org.slug, createdBy: org.createdBy, publicMetadata: org.publicMetadata,
             maxAllowedMemberships: org.maxAllowedMemberships },
  bySlug: { id: bySlug.id, membersCount: bySlug.membersCount },
  updated: { name: updated.name, adminDeleteEnabled: updated.adminDeleteEnabled },
  merged: merged.privateMetadata,
  list: { total: list.totalCount, names: list.data.map((x) => x.name) },
  member: { role: member.role, org: member.organization.id, user: member.publicUserData?.userId,
            identifier: member.publicUserData?.identifier, permissions: member.permissions },
  promoted: promoted.role,
  members: { total: members.totalCount, roles: members.data.map((m) => m.role) },
  userMemberships: userMemberships.data.map((m) => m.organization.id),
  invitation: { email: invitation.emailAddress, status: invitation.status, role: invitation.role,
                orgId: invitation.organizationId },
  invitations: invitations.totalCount,
  revoked: revoked.status,
  roles: roles.data.map((r) => r.key),
  removed: removed.publicUserData?.userId,
  deleted: { id: deleted.id, deleted: deleted.deleted },
}));
