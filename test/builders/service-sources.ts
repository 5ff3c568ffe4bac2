import { randomBytes } from 'node:crypto';
import {
  ServiceSource,
  type ServiceType,
  type SourceLink,
  type WebhookRegistration,
} from '../../src/modules/service-sources/domain/service-source.js';
import { newId } from '../../src/shared/ids.js';

/** A complete push link; override any field. */
export const aSourceLink = (overrides: Partial<SourceLink> = {}): SourceLink => ({
  providerId: newId(),
  providerType: 'github',
  repository: 'acme/group/shop',
  repositoryId: '4242',
  branch: 'main',
  triggerType: 'push',
  watchPaths: ['src/**', 'package.json'],
  autoDeploy: true,
  buildPath: '/apps/shop',
  composePath: null,
  ...overrides,
});

export const aRegisteredWebhook = (providerId = newId()): WebhookRegistration => ({
  registered: true,
  url: `http://forgelink.test/v1/webhooks/${providerId}`,
  managedBy: 'forgelink',
});

/** Builds a ServiceSource (empty, or connected with `.connectedTo(...)`), with recorded events cleared. */
export class ServiceSourceBuilder {
  private organizationId = newId();
  private serviceId = `svc-${randomBytes(4).toString('hex')}`;
  private link?: SourceLink;
  private webhook?: WebhookRegistration;
  private status?: ServiceSource['status'];

  constructor(private readonly serviceType: ServiceType) {}

  inOrganization(organizationId: string): this {
    this.organizationId = organizationId;
    return this;
  }

  withServiceId(serviceId: string): this {
    this.serviceId = serviceId;
    return this;
  }

  connectedTo(overrides: Partial<SourceLink> = {}, webhook?: WebhookRegistration): this {
    this.link = aSourceLink(overrides);
    this.webhook = webhook ?? aRegisteredWebhook(this.link.providerId);
    return this;
  }

  withStatus(status: ServiceSource['status']): this {
    this.status = status;
    return this;
  }

  build(): ServiceSource {
    const source = ServiceSource.empty(this.organizationId, this.serviceType, this.serviceId, new Date('2026-01-01T00:00:00Z'));
    if (this.link && this.webhook) source.connect(this.link, this.webhook);
    if (this.status) source.reportStatus(this.status);
    source.pullDomainEvents();
    return source;
  }
}

export const anApplicationSource = (): ServiceSourceBuilder => new ServiceSourceBuilder('application');
export const aComposeSource = (): ServiceSourceBuilder => new ServiceSourceBuilder('compose');
