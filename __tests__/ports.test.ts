import { Masker } from '../src/ports.js';

describe('Masker: credentials in URLs are redacted in whatever it masks, registered or not', () => {
  test.each([
    {
      name: 'a git context with a token as user:password',
      text: 'buildx build https://x-access-token:ghs_abc123@github.com/acme/app.git#main',
      masked: 'buildx build https://xxxxx:xxxxx@github.com/acme/app.git#main'
    },
    {
      name: 'a token given as the user name of an https URL',
      text: "'https://ghs_abc123@github.com/acme/app.git'",
      masked: "'https://xxxxx:xxxxx@github.com/acme/app.git'"
    },
    {
      name: 'an endpoint with user:password in another scheme',
      text: 'tcp://builder:s3cret@10.1.2.3:1234',
      masked: 'tcp://xxxxx:xxxxx@10.1.2.3:1234'
    },
    {
      name: 'a plain ssh user is not a credential',
      text: 'ssh://git@github.com/acme/app.git',
      masked: 'ssh://git@github.com/acme/app.git'
    },
    {
      name: 'a digest reference is not a credential',
      text: 'docker-image://busybox@sha256:0123 and docker-image://127.0.0.1:5000/x@sha256:0123',
      masked: 'docker-image://busybox@sha256:0123 and docker-image://127.0.0.1:5000/x@sha256:0123'
    },
    {
      name: 'a URL without userinfo',
      text: 'http://127.0.0.1:5000/v2/acme/app/blobs/uploads/ and http://proxy.local:3128',
      masked: 'http://127.0.0.1:5000/v2/acme/app/blobs/uploads/ and http://proxy.local:3128'
    }
  ])('$name', ({ text, masked }) => {
    expect(new Masker().mask(text)).toBe(masked);
  });

  test('registered secrets are masked first, then URL credentials', () => {
    const masker = new Masker();
    masker.add('hunter2-value');
    expect(masker.mask('pw hunter2-value at https://u:hunter2-value@h/x')).toBe('pw *** at https://xxxxx:xxxxx@h/x');
  });
});
