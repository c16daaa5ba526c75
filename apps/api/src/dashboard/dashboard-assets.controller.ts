import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import path from 'path';
import { DASHBOARD_SOURCE_DIR, setSecurityHeaders } from './dashboard-view';

/** Every file the pages load, served by vecron itself (no CDN): name → file and type. */
const ASSETS: Record<string, { file: string; type: string }> = {
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'application/javascript' },
  'dashboard.js': { file: path.join(DASHBOARD_SOURCE_DIR, 'assets', 'dashboard.js'), type: 'application/javascript' },
  'builder.js': { file: path.join(DASHBOARD_SOURCE_DIR, 'assets', 'builder.js'), type: 'application/javascript' },
  'dashboard.css': { file: path.join(DASHBOARD_SOURCE_DIR, 'assets', 'dashboard.css'), type: 'text/css' },
  'logo.svg': { file: path.join(DASHBOARD_SOURCE_DIR, 'assets', 'logo.svg'), type: 'image/svg+xml' },
};

@ApiExcludeController()
@Controller('assets')
export class DashboardAssetsController {
  @Get(':name')
  @Public()
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = Object.prototype.hasOwnProperty.call(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) throw new NotFoundException();
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type(asset.type);
    // pnpm keeps packages under node_modules/.pnpm: allow that dot folder (the map above is the only way in).
    res.sendFile(asset.file, { dotfiles: 'allow' });
  }
}
