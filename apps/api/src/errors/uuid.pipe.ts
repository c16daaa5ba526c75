import { Injectable, type PipeTransform } from '@nestjs/common';
import { NotFoundError } from './app-errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A resource id in a URL: anything that is not a UUID cannot exist, so it is a 404. */
@Injectable()
export class UuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw new NotFoundError(`no resource with id "${value.slice(0, 64)}"`);
    return value.toLowerCase();
  }
}
