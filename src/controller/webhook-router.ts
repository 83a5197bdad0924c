import { Router } from 'express';
import type { Logger } from 'pino';
export function createWebhookRouter(_o: { secret: string; trigger: () => void; log: Logger }): Router {
  return Router();
}
