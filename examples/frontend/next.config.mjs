// A static export: `npm run build` writes the site to out/, which is what
// Shipyard deploys to Netlify (the .next folder is the server build).
/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
};

export default nextConfig;
