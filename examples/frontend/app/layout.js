export const metadata = {
  title: 'Shipyard demo',
  description: 'The frontend half of the Shipyard demo release',
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem' }}>
        {children}
      </body>
    </html>
  );
}
